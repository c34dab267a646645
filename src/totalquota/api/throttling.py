"""Per-caller rate limits of ``/api/v1``: each API token, and each signed-in person, has a budget
of requests per period (``API_RATE_LIMIT``, e.g. ``"1200/min"``; empty turns limits off). Over
budget a request is answered ``429`` with ``Retry-After`` (whole seconds until the current
window ends) before its body is read.

Counting is a fixed window per caller in Django's cache (``API_RATE_CACHE``): ``add`` then
``incr``, which the cache backends make atomic, so threads of one server never count a request
twice or lose one. With the default local-memory cache each server process counts on its own
(with two gunicorn workers a caller may reach up to twice the budget); configure a shared cache
(Memcached, Redis) in ``CACHES`` for one count across processes.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"1200/min"`` → ``(1200, 60)``; empty → ``None`` (no limit)."""
    if not rate:
        return None
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip()]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT {rate!r}: expected '<requests>/<s|min|hour|day>'"
        ) from None


class CallerRateThrottle(BaseThrottle):
    """The budget of the caller the admission found (``request.principal``): its token's when it
    called with one, else the person's. Requests that fail authentication never get here."""

    def __init__(self) -> None:
        # ninja keeps one throttle per operation and asks wait() right after allow_request() in
        # the same thread: the answer for wait() is kept per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit = parse_rate(settings.API_RATE_LIMIT)
        principal = getattr(request, "principal", None)
        if limit is None or principal is None:
            return True
        count, period = limit
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{principal.caller}:{period}:{window}"
        cache = caches[settings.API_RATE_CACHE]
        cache.add(key, 0, timeout=period + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted between add and incr: this request opens the window again
            cache.add(key, 1, timeout=period + 1)
            used = 1
        self._local.wait = (window + 1) * period - now
        return used <= count

    def wait(self) -> float | None:
        return max(1.0, math.ceil(getattr(self._local, "wait", 1.0)))
