"""rq entry points of the forms app (thin wrappers over services)."""
from .services import outbox_deliver as _deliver, outbox_sweep as _sweep


def outbox_deliver(message_id: str) -> str:
    return _deliver(message_id)


def outbox_sweep() -> int:
    return _sweep()
