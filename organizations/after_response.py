"""Work that need not hold up the client: queueing rq jobs after a write, reading ahead for a feed follower.

`after_response(key, func)` runs `func` once the response is sent: inside an HTTP request it waits for Django's
request_finished, which the WSGI server sends once the response is written; outside one it runs now.
`on_commit_after_response(key, func)` does the same once the current transaction commits (never if it rolls back).
Registrations of one request under the same `key` run once, so `func` should do whatever the request left for it
(as webhooks' wake-up does)."""
import threading

from django.core import signals
from django.db import transaction


class _RequestState(threading.local):
    def __init__(self):
        self.in_request = False
        self.due = {}  # key -> func: committed, waiting until the response is sent


_state = _RequestState()


def after_response(key: str, func) -> None:
    if _state.in_request:
        _state.due.setdefault(key, func)
    else:
        func()


def on_commit_after_response(key: str, func) -> None:
    transaction.on_commit(lambda: after_response(key, func))


def _request_started(**kwargs) -> None:
    _state.in_request, _state.due = True, {}


def _request_finished(**kwargs) -> None:
    due, _state.in_request, _state.due = _state.due, False, {}
    for func in due.values():
        func()


def connect() -> None:
    """Called by OrganizationsConfig.ready()."""
    signals.request_started.connect(_request_started, dispatch_uid="after_response.started")
    signals.request_finished.connect(_request_finished, dispatch_uid="after_response.finished")
