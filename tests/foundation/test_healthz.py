import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_healthz_ok_when_postgres_and_redis_answer():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_redis_is_down(settings):
    from tests.support import free_port  # a port where nothing listens
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "unavailable" and body["error"]["checks"]["redis"].startswith("error")


@pytest.mark.django_db(transaction=True)
def test_healthz_503_when_postgres_is_down():
    from tests.support import free_port
    connection.close()
    original = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = free_port()
    try:
        response = Client().get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original
    assert response.status_code == 503
    assert response.json()["error"]["checks"]["postgres"].startswith("error")
