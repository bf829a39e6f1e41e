"""The health check of persistent connections (config/postgresql) looks at the socket, not with a query: a
connection the server has ended is replaced before a request uses it, and a live one is kept."""
import time

import psycopg2
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request_pid() -> int:
    connection.close_if_unusable_or_obsolete()  # what request_started does (close_old_connections)
    return backend_pid()


def test_a_live_connection_is_kept_across_requests():
    first = backend_pid()
    assert next_request_pid() == first


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    ended = backend_pid()
    admin = psycopg2.connect(**connection.get_connection_params())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [ended])
        for _ in range(100):  # the backend is gone once pg_stat_activity no longer lists it
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [ended])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    admin.close()
    replaced = next_request_pid()  # Django's own check would have run SELECT 1; a no-op check would fail here
    assert replaced != ended
