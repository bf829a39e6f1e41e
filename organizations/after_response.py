"""Work that need not hold up the client: queueing rq jobs after a write, reading ahead for a feed follower.

`after_response(key, func)` runs `func` once the response is sent: inside an HTTP request it waits for Django's
request_finished, which the WSGI server sends once the response is written; outside one it runs now.
`on_commit_after_response(key, func, items)` does the same once the current transaction commits (never if it
rolls back), for work about `items` (ids to wake up): the items registered under one `key` on this thread gather
until `func(items)` runs once for all of them, so the writes of one transaction or request share one call. (Items
of a transaction that rolled back go with the next commit's: a wake-up too many, harmless.)
Registrations of one request under the same `key` run once.
`request_memo(key, compute)` keeps what `compute()` returns for the rest of the request (outside one it computes
every time): for a read several steps of one request ask for and none changes (webhook subscriptions)."""
import threading

from django.core import signals
from django.db import transaction


class _RequestState(threading.local):
    def __init__(self):
        self.in_request = False
        self.due = {}  # key -> func: committed, waiting until the response is sent
        self.items = {}  # key -> {item: None}, in order: gathered for on_commit_after_response's next call
        self.memo = {}  # key -> value: request_memo's, for the current request


_state = _RequestState()


def after_response(key: str, func) -> None:
    if _state.in_request:
        _state.due.setdefault(key, func)
    else:
        func()


def on_commit_after_response(key: str, func, items) -> None:
    _state.items.setdefault(key, {}).update(dict.fromkeys(items))
    transaction.on_commit(lambda: after_response(key, lambda: _run_gathered(key, func)))


def request_memo(key, compute):
    if not _state.in_request:
        return compute()
    if key not in _state.memo:
        _state.memo[key] = compute()
    return _state.memo[key]


def _run_gathered(key: str, func) -> None:
    items = _state.items.pop(key, None)
    if items:  # the first callback of a transaction takes them all; the others find none
        func(list(items))


def _request_started(**kwargs) -> None:
    _state.in_request, _state.due, _state.memo = True, {}, {}


def _request_finished(**kwargs) -> None:
    due, _state.in_request, _state.due, _state.memo = _state.due, False, {}, {}
    for func in due.values():
        func()


def connect() -> None:
    """Called by OrganizationsConfig.ready()."""
    signals.request_started.connect(_request_started, dispatch_uid="after_response.started")
    signals.request_finished.connect(_request_finished, dispatch_uid="after_response.finished")
