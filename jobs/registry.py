"""Job kinds: each app registers the service functions its jobs run (`@job_kind("contacts.export")`).

A handler is called as handler(job, progress) where progress(percent, message) records progress on the Job
row; it returns a dict stored as the job's result. Handlers must be idempotent: rq may run a job again.
"""
from importlib import import_module

from django.apps import apps

_HANDLERS = {}


def job_kind(name: str):
    def register(func):
        if name in _HANDLERS and _HANDLERS[name] is not func:
            raise ValueError(f"job kind {name!r} is registered twice")
        _HANDLERS[name] = func
        return func
    return register


def handler_for(kind: str):
    if kind not in _HANDLERS:
        for app in apps.get_app_configs():  # a worker imports each app's jobs.py lazily, once
            try:
                import_module(f"{app.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.jobs":
                    raise
    return _HANDLERS[kind]
