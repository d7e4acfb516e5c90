"""Rate limits that hold across workers, servers and window boundaries: a token bucket
(GCRA, the generic cell rate algorithm) per key, updated in one atomic step, in Redis when
REDIS_URL is set and in the database otherwise; and the one function that says who the client
is (the sign-in lockout, the rate limits and the audit log all ask it).

Why a bucket: a fixed hourly window let 20 registrations through at 00:58 and 20 more at 01:00,
and the database cache's ``incr`` is a read then a write, so a burst of parallel requests
each read the same count. A bucket of ``limit`` tokens refilled evenly over ``period`` has no
boundary; the single ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` (or Lua script)
decides and records each hit at once, so no two requests can both take the last token.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection
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

    @property
    def interval(self) -> float:
        """Seconds for one token to come back."""
        return self.period / self.limit


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind N trusted proxies (``CASEAPP_TRUSTED_PROXY_COUNT``), the
    Nth address from the right of X-Forwarded-For, which the outermost trusted proxy wrote.
    Anything that is not an address falls back to the connection's."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CASEAPP_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return remote
    return remote


def hit(*, scope: str, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Take one token; return None if allowed, else the whole seconds until one is back."""
    now = time.time() if now is None else now
    bucket = f"{scope}:{key}"
    if settings.REDIS_URL:
        allowed, tat = _redis_take(bucket, now, rate)
    else:
        allowed, tat = _database_take(bucket, now, rate)
    if allowed:
        return None
    return max(1, math.ceil(tat + rate.interval - rate.period - now))


_UPSERT = """
    INSERT INTO {table} ({key}, tat) VALUES (%s, %s)
    ON CONFLICT ({key}) DO UPDATE SET tat = {greatest}({table}.tat, %s) + %s
    WHERE {greatest}({table}.tat, %s) + %s - %s <= %s
    RETURNING tat"""


def _database_take(bucket: str, now: float, rate: Rate) -> tuple[bool, float]:
    from caseapp.models import RateLimitBucket

    table = connection.ops.quote_name(RateLimitBucket._meta.db_table)
    sql = _UPSERT.format(table=table, key=connection.ops.quote_name("key"),
                         greatest="GREATEST" if connection.vendor == "postgresql" else "MAX")
    step = rate.interval
    with connection.cursor() as cursor:
        cursor.execute(sql, [bucket, now + step, now, step, now, step, now, rate.period])
        row = cursor.fetchone()
        if row is not None:
            return True, row[0]
        cursor.execute(f"SELECT tat FROM {table} WHERE {connection.ops.quote_name('key')} = %s",  # noqa: S608
                       [bucket])
        return False, cursor.fetchone()[0]


# KEYS[1] the bucket; ARGV now, interval, period. Returns {1 if taken, the stored time}.
_LUA = """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now, step, period = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local new = math.max(tat, now) + step
if new - now > period then return {0, tostring(tat)} end
redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil((new - now) * 1000) + 1000)
return {1, tostring(new)}
"""


@lru_cache(maxsize=1)
def _redis_script():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL).register_script(_LUA)


def _redis_take(bucket: str, now: float, rate: Rate) -> tuple[bool, float]:
    taken, tat = _redis_script()(keys=[f"caseapp:ratelimit:{bucket}"],
                                 args=[repr(now), repr(rate.interval), rate.period])
    return bool(int(taken)), float(tat)


def forget_full_buckets(*, now: float | None = None) -> int:
    """Delete database buckets that have refilled completely (they hold nothing a new one
    would not): ``purge_expired`` runs it daily."""
    from caseapp.models import RateLimitBucket

    now = time.time() if now is None else now
    deleted, _ = RateLimitBucket.objects.filter(tat__lt=now).delete()
    return deleted
