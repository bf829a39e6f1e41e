"""Pluggable SMS backends, chosen by `settings.SMS_BACKEND` (a dotted path to a class with `send(to, body)`)."""
import json
import logging
import os
import threading
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("messaging.sms")


def get_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "messaging.sms.ConsoleBackend"))()


class ConsoleBackend:
    """Development default: logs the text instead of sending it."""

    def send(self, to: str, body: str) -> None:
        log.info("sms to %s: %s", to, body)


class LocmemBackend:
    """For in-process tests: keeps sent texts in `LocmemBackend.outbox`."""

    outbox: list[dict] = []
    _lock = threading.Lock()

    def send(self, to: str, body: str) -> None:
        with self._lock:
            LocmemBackend.outbox.append({"to": to, "body": body})


class FileBackend:
    """For tests with worker processes: appends one JSON line per text to settings.SMS_FILE_PATH."""

    def send(self, to: str, body: str) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "body": body, "pid": os.getpid()}) + "\n"
        with open(path, "a", encoding="utf-8") as handle:  # O_APPEND: one line is one write
            handle.write(line)
