"""A fixed-window rate limit kept in the shared cache (database by default, Redis if set).

Shared, not per-process: with several workers or servers each client must see one count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"20/h"``, ``"5/m"``, ``"100/10m"`` or ``"1000/d"``."""
        count, _, per = text.partition("/")
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        multiplier = int(per[:-1] or 1)
        return cls(limit=int(count), period=multiplier * units[per[-1]])


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind N trusted proxies, the Nth address from the right."""
    proxies = settings.CASEAPP_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def hit(*, scope: str, key: str, rate: Rate) -> int | None:
    """Count one hit; return None if allowed, else the seconds until the window resets."""
    now = time.time()
    window = int(now // rate.period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=rate.period + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=rate.period + 5)
        count = 1
    if count > rate.limit:
        return int(rate.period - now % rate.period) + 1
    return None
