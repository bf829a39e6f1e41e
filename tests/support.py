"""Helpers shared by the suites: API clients per organization, subprocess environments, real rq workers."""
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from organizations.services import api_key_create

PROJECT_DIR = Path(__file__).resolve().parent.parent


def client_for(organization, scopes=None) -> APIClient:
    """An APIClient authenticated with a fresh key of `organization` (all scopes unless given)."""
    key, plain = api_key_create(organization=organization, name="test", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    client.key = key
    client.organization = organization
    return client


def database_url() -> str:
    """The URL of the database the tests use now (pytest-django's test_ database)."""
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    host = quote(d["HOST"] or "127.0.0.1", safe="")  # a Unix socket's directory, percent-encoded
    return f"postgres://{auth}@{host}:{d['PORT'] or 5432}/{d['NAME']}"


def subprocess_env(**extra) -> dict:
    """The environment for a server or worker process that must see this test's database and Redis."""
    return {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings", "PYTEST_XDIST_WORKER": "", **extra}


def run_worker_burst(*queues: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a real `rqworker` process until the queues are empty. The test must commit its data
    (`@pytest.mark.django_db(transaction=True)`), since the worker is another connection."""
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), "rqworker", "--burst", *(queues or ("high", "default", "low"))],
        env=subprocess_env(), capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def free_port() -> int:
    from config.embedded import free_port as _free_port
    return _free_port()
