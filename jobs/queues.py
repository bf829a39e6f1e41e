"""rq queues and their Redis client, built once per process (django_rq builds a new client, so a new connection
pool and TCP connection, on every get_queue / get_connection call: about a millisecond per request that queues a
job). Keyed by the queue's Redis URL too, so a test that changes the settings gets its own."""
import django_rq
from django.conf import settings

_queues: dict = {}


def queue(name: str = "default"):
    key = (name, settings.RQ_QUEUES[name].get("URL"))
    if key not in _queues:
        _queues[key] = django_rq.get_queue(name)
    return _queues[key]


def redis_connection(name: str = "default"):
    """The Redis client of queue `name` (redis-py resets its pool in a forked child)."""
    return queue(name).connection
