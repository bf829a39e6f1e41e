"""Fixed-window rate limits per API key and per client IP, counted atomically in Redis.

Every throttled response carries RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF draft
"RateLimit header fields"), from the tightest limit that applied; a 429 also carries Retry-After.
"""
import os
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from organizations.models import ApiKey


class _FixedWindowThrottle(SimpleRateThrottle):
    def window(self, request, view) -> str | None:
        """The Redis key counting this window's requests of the caller, or None when this limit does not apply."""
        if self.rate is None:
            return None
        ident = self.get_cache_key(request, view)
        if ident is None:
            return None
        now = time.time()
        window_start = int(now // self.duration * self.duration)
        self.reset_in = max(1, int(window_start + self.duration - now))
        return f"throttle:{self.scope}:{ident}:{window_start}"

    def settle(self, request, count: int) -> bool:
        """Whether the window's `count`-th request is allowed (and the RateLimit headers noted)."""
        _note_limit(request, self.num_requests, max(0, self.num_requests - count), self.reset_in)
        return count <= self.num_requests

    def allow_request(self, request, view):
        key = self.window(request, view)
        return key is None or self.settle(request, count_windows([(key, self.duration + 1)])[0])

    def wait(self):
        return self.reset_in


class ThrottleMixin:
    """Checks all of a view's limits in one Redis round trip (DRF's check_throttles makes one per throttle)."""

    def check_throttles(self, request):
        own, others = [], []
        for throttle in self.get_throttles():
            (own if isinstance(throttle, _FixedWindowThrottle) else others).append(throttle)
        windows = [(throttle, key) for throttle in own if (key := throttle.window(request, self)) is not None]
        counts = count_windows([(key, throttle.duration + 1) for throttle, key in windows]) if windows else []
        refused = [throttle for (throttle, _), count in zip(windows, counts) if not throttle.settle(request, count)]
        refused += [throttle for throttle in others if not throttle.allow_request(request, self)]
        if refused:
            waits = [throttle.wait() for throttle in refused]
            self.throttled(request, max((wait for wait in waits if wait is not None), default=None))


_clients = {}


def count_windows(windows: list[tuple[str, int]]) -> list[int]:
    """Add one to each window's counter (created at 0 with its expiry, in seconds, when missing) in one Redis
    round trip through one client per process (Django's RedisCache builds a new client and makes a round trip
    per call)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        counts = []
        for key, timeout in windows:
            cache.add(key, 0, timeout=timeout)  # no-op when the window's counter exists
            counts.append(cache.incr(key))
        return counts
    pid = os.getpid()
    if pid not in _clients:
        _clients.clear()
        _clients[pid] = backend._cache.get_client(write=True)
    pipe = _clients[pid].pipeline(transaction=False)
    for key, timeout in windows:
        full = backend.make_and_validate_key(key)
        pipe.set(full, 0, ex=timeout, nx=True)
        pipe.incr(full)
    return pipe.execute()[1::2]


def _note_limit(request, limit, remaining, reset):
    raw = request._request
    current = getattr(raw, "_ratelimit", None)
    if current is None or remaining < current[1]:
        raw._ratelimit = (limit, remaining, reset)


class KeyRateThrottle(_FixedWindowThrottle):
    scope = "key"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return f"key:{request.auth.prefix}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None


class IPRateThrottle(_FixedWindowThrottle):
    scope = "ip"

    def get_cache_key(self, request, view):
        return self.get_ident(request)


class RateLimitHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        limit = getattr(request, "_ratelimit", None)
        if limit is not None:
            response["RateLimit-Limit"], response["RateLimit-Remaining"], response["RateLimit-Reset"] = map(str, limit)
        return response
