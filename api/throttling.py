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
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        window_start = int(now // self.duration * self.duration)
        key = f"throttle:{self.scope}:{ident}:{window_start}"
        count = _count(key, self.duration + 1)
        self.reset_in = max(1, int(window_start + self.duration - now))
        remaining = max(0, self.num_requests - count)
        _note_limit(request, self.num_requests, remaining, self.reset_in)
        return count <= self.num_requests

    def wait(self):
        return self.reset_in


_clients = {}


def _count(key: str, timeout: int) -> int:
    """Add one to the window's counter (created at 0 with its expiry when missing): one Redis round trip
    through one client per process (Django's RedisCache builds a new client and makes a round trip per call)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        cache.add(key, 0, timeout=timeout)  # no-op when the window's counter exists
        return cache.incr(key)
    pid = os.getpid()
    if pid not in _clients:
        _clients.clear()
        _clients[pid] = backend._cache.get_client(write=True)
    full = backend.make_and_validate_key(key)
    pipe = _clients[pid].pipeline(transaction=False)
    pipe.set(full, 0, ex=timeout, nx=True)
    pipe.incr(full)
    return pipe.execute()[1]


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
