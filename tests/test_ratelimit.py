"""caseapp.ratelimit: the registration rate limit against the configured shared cache
(database, or Redis when REDIS_URL is set: .ci/run runs this module again against the local
Redis), and the client address it counts by."""

from __future__ import annotations

import types
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from caseapp import ratelimit
from caseapp.ratelimit import Rate, client_ip, hit


@pytest.mark.parametrize(("text", "limit", "period"),
                         [("20/h", 20, 3600), ("5/m", 5, 60), ("100/10m", 100, 600),
                          ("1000/d", 1000, 86400), ("3/s", 3, 1)])
def test_rates_parse(text, limit, period):
    assert Rate.parse(text) == Rate(limit=limit, period=period)


@pytest.mark.django_db
def test_the_limit_allows_then_refuses_with_the_wait_in_seconds():
    key = uuid.uuid4().hex
    rate = Rate(limit=3, period=3600)
    assert [hit(scope="t", key=key, rate=rate) for _ in range(3)] == [None, None, None]
    retry = hit(scope="t", key=key, rate=rate)
    assert retry is not None and 0 < retry <= 3601


@pytest.mark.django_db
def test_clients_are_counted_apart():
    rate = Rate(limit=1, period=3600)
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    assert hit(scope="t", key=first, rate=rate) is None
    assert hit(scope="t", key=first, rate=rate) is not None
    assert hit(scope="t", key=second, rate=rate) is None


@pytest.mark.django_db
def test_the_cache_is_shared_not_per_process():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "locmem" not in backend.lower() and "dummy" not in backend.lower()
    cache.set("shared-check", 1)
    assert cache.get("shared-check") == 1


@pytest.mark.django_db
def test_the_wait_runs_to_the_end_of_the_window_and_a_new_window_counts_afresh(monkeypatch):
    clock = [3600 * 500_000 + 10.0]  # ten seconds into an hour-long window
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: clock[0]))
    key, rate = uuid.uuid4().hex, Rate(limit=1, period=3600)
    assert hit(scope="t", key=key, rate=rate) is None
    assert hit(scope="t", key=key, rate=rate) == 3591  # 3,590 seconds left, and one more
    clock[0] += 3589
    assert hit(scope="t", key=key, rate=rate) == 2
    clock[0] += 1
    assert hit(scope="t", key=key, rate=rate) is None  # the next hour


def test_rate_limit_reads_the_client_ip_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.2", REMOTE_ADDR="10.0.0.3")
    assert client_ip(request) == "10.0.0.3"
    settings.CASEAPP_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.2"
    settings.CASEAPP_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "198.51.100.7"


def test_fewer_forwarded_addresses_than_trusted_proxies_counts_the_connection(rf, settings):
    """A request that did not come through every proxy cannot choose its own address."""
    settings.CASEAPP_TRUSTED_PROXY_COUNT = 2
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="10.0.0.3")
    assert client_ip(request) == "10.0.0.3"
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR=" , ", REMOTE_ADDR="10.0.0.3")) == (
        "10.0.0.3")
