"""rq entry points of the forms app (thin wrappers over services)."""
from .services import outbox_drain as _drain, outbox_sweep as _sweep


def outbox_drain() -> int:
    """Deliver the pending messages (queued by outbox_wake). If one failed the job fails after the others had
    their turn (rq keeps it) and the message stays pending for webforms_sweep."""
    sent, failures = _drain()
    if failures:
        raise RuntimeError("; ".join(failures))
    return sent


def outbox_sweep() -> int:
    return _sweep()
