"""The registration rate limit against the configured shared cache (database, or Redis when
REDIS_URL is set: .ci/run runs this module again against the local Redis)."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from caseapp.ratelimit import Rate, hit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("text", "limit", "period"),
                         [("20/h", 20, 3600), ("5/m", 5, 60), ("100/10m", 100, 600),
                          ("1000/d", 1000, 86400), ("3/s", 3, 1)])
def test_rates_parse(text, limit, period):
    assert Rate.parse(text) == Rate(limit=limit, period=period)


def test_the_limit_allows_then_refuses_with_the_wait_in_seconds():
    key = uuid.uuid4().hex
    rate = Rate(limit=3, period=3600)
    assert [hit(scope="t", key=key, rate=rate) for _ in range(3)] == [None, None, None]
    retry = hit(scope="t", key=key, rate=rate)
    assert retry is not None and 0 < retry <= 3601


def test_clients_are_counted_apart():
    rate = Rate(limit=1, period=3600)
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    assert hit(scope="t", key=first, rate=rate) is None
    assert hit(scope="t", key=first, rate=rate) is not None
    assert hit(scope="t", key=second, rate=rate) is None


def test_the_cache_is_shared_not_per_process():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "locmem" not in backend.lower() and "dummy" not in backend.lower()
    cache.set("shared-check", 1)
    assert cache.get("shared-check") == 1
