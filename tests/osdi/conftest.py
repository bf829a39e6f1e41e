import subprocess

import pytest
from rest_framework.test import APIClient

from organizations.services import api_key_create
from config.serving import start_gunicorn, stop_gunicorn
from tests.support import free_port, subprocess_env

BASE = "/api/osdi/v1/"


def osdi_client(organization, scopes=None) -> APIClient:
    """An APIClient sending a fresh key of `organization` in the OSDI-API-Token header (all scopes unless given)."""
    key, plain = api_key_create(organization=organization, name="osdi", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_OSDI_API_TOKEN=plain)
    client.key = key
    return client


def signup(client, person, **extra):
    return client.post(BASE + "people", {"person": person, **extra}, format="json")


def an_id(record):
    """The id as parsons reads it: after "action_network:"."""
    return next(i.split(":", 1)[1] for i in record["identifiers"] if i.startswith("action_network:"))


@pytest.fixture
def osdi_a(org_a):
    return osdi_client(org_a)


@pytest.fixture
def osdi_b(org_b):
    return osdi_client(org_b)


@pytest.fixture(scope="module")
def osdi_server(django_db_setup, django_db_blocker):
    """A real gunicorn process (deploy/gunicorn.conf.py) on a free port, serving this test run's database.
    Yields the OSDI base URL (no trailing slash, as Action Network's is written)."""
    port = free_port()
    process = start_gunicorn(port, env=subprocess_env(), workers=2, threads=2)
    try:
        yield f"http://127.0.0.1:{port}/api/osdi/v1"
    finally:
        stop_gunicorn(process)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
