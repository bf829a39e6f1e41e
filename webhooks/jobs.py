"""rq entry points of the webhooks app (thin wrappers; the `webhooks` queue)."""


def drain(endpoint_id: str) -> dict:
    from .delivery import drain as _drain
    return _drain(endpoint_id)
