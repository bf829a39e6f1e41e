"""rq entry points of the forms app (thin wrappers over services)."""
from .services import outbox_deliver as _deliver, outbox_sweep as _sweep


def outbox_deliver(message_id: str) -> str:
    return _deliver(message_id)


def outbox_deliver_many(message_ids: list[str]) -> list[str]:
    """One job per submission. Each message is tried; if one failed the job fails after the others (rq keeps it)
    and the message stays pending for webforms_sweep, which skips the ones already sent."""
    results, failures = [], []
    for message_id in message_ids:
        try:
            results.append(_deliver(message_id))
        except Exception as exc:  # noqa: BLE001 - reported below, after the other messages had their chance
            failures.append(f"{message_id}: {exc}")
    if failures:
        raise RuntimeError("; ".join(failures))
    return results


def outbox_sweep() -> int:
    return _sweep()
