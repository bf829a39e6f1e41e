"""Django's PostgreSQL backend with a health check that costs no round trip.

A persistent connection (CONN_MAX_AGE) is checked before the first query of each request. Django's check sends
`SELECT 1`: a round trip and a statement for PostgreSQL on every request. Here the check looks at the socket
instead. An idle connection the server has closed (restarted, terminated, timed out) has something to read: its
error message, then the end of the stream. So a readable idle socket means a dead connection, replaced before use.
After an error inside a request, Django's own check (`is_usable`, the real query) still decides."""
import select

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not _idle_and_open(self.connection):
            self.close()
        self.health_check_done = True


def _idle_and_open(connection) -> bool:
    """Whether this psycopg2 connection is open, between transactions, with nothing sent by the server (we use no
    LISTEN, so an idle connection receives nothing unless the server is ending it)."""
    if connection.closed or connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
        return False
    poller = select.poll()  # not select.select, which fails on descriptors above 1023
    poller.register(connection.fileno(), select.POLLIN)
    return not poller.poll(0)
