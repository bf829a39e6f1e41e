"""Domain errors raised by services and translated to the API's error shape by api.errors."""


class DomainError(Exception):
    """A rule of the domain refused the operation. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, fields: dict | None = None,
                 status: int | None = None, extra: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        if field:
            self.fields.setdefault(field, [message])
        if status is not None:
            self.status = status
        self.extra = extra or {}


class Conflict(DomainError):
    status = 409
