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
def test_the_bucket_refills_evenly_with_no_window_to_reset(monkeypatch):
    clock = [3600 * 500_000 + 10.0]
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: clock[0]))
    key, rate = uuid.uuid4().hex, Rate(limit=2, period=3600)
    assert [hit(scope="t", key=key, rate=rate) for _ in range(2)] == [None, None]
    assert hit(scope="t", key=key, rate=rate) == 1800  # one token back every half hour
    clock[0] += 1799
    assert hit(scope="t", key=key, rate=rate) == 1
    clock[0] += 1
    assert hit(scope="t", key=key, rate=rate) is None
    assert hit(scope="t", key=key, rate=rate) == 1800


@pytest.mark.django_db
def test_twenty_before_the_hour_and_twenty_after_are_not_forty(monkeypatch):
    """The issue's finding: a fixed window let 20 through at 00:58 and 20 more at 01:00."""
    hour = 3600 * 500_000
    key, rate = uuid.uuid4().hex, Rate(limit=20, period=3600)
    before = [hit(scope="t", key=key, rate=rate, now=hour - 120) for _ in range(20)]
    after = [hit(scope="t", key=key, rate=rate, now=hour + 1) for _ in range(20)]
    assert before.count(None) == 20
    assert after.count(None) == 0  # 121 s refill less than one token (one per 180 s)


@pytest.mark.django_db(transaction=True)
def test_parallel_hits_across_a_window_boundary_never_exceed_the_bucket():
    """Forty threads, each its own database connection, hit one key at once on both sides
    of an hour boundary: the atomic update lets exactly the bucket's size through."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    hour = 3600 * 500_000
    key, rate = uuid.uuid4().hex, Rate(limit=20, period=3600)

    def one(i: int):
        try:
            return hit(scope="t", key=key, rate=rate, now=hour - 0.5 + (i % 2))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(40)))
    assert results.count(None) == 20


@pytest.mark.django_db
def test_full_database_buckets_are_forgotten(settings):
    from caseapp.models import RateLimitBucket

    settings.REDIS_URL = ""  # the database's buckets, also when CI runs this on Redis
    rate = Rate(limit=5, period=60)
    hit(scope="t", key="a", rate=rate, now=1000.0)
    hit(scope="t", key="b", rate=rate, now=2000.0)
    assert ratelimit.forget_full_buckets(now=1500.0) == 1
    assert list(RateLimitBucket.objects.values_list("key", flat=True)) == ["t:b"]


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


def test_a_forwarded_value_that_is_not_an_address_counts_the_connection(rf, settings):
    settings.CASEAPP_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.3")
    assert client_ip(request) == "10.0.0.3"


@pytest.mark.django_db
def test_the_lockout_the_audit_log_and_the_limit_see_the_same_client(client, case, settings):
    from caseapp.models import AuditEvent, SignInCounter
    from tests.staff_users import make_staff

    settings.CASEAPP_TRUSTED_PROXY_COUNT = 1
    make_staff("rita", "Reviewer")
    client.post("/staff/login/", {"username": "rita", "password": "wrong-password-1"},
                HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.1")
    assert SignInCounter.objects.filter(key__startswith="a:",
                                        key__endswith=":198.51.100.7").count() == 1
    assert AuditEvent.objects.get(action="auth.login_failed").ip_address == "198.51.100.7"


@pytest.mark.django_db
def test_behind_a_proxy_one_client_cannot_lock_out_another(client, case, settings):
    from django.test import Client

    from tests.staff_users import PASSWORD, make_staff

    settings.CASEAPP_TRUSTED_PROXY_COUNT = 1
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 3
    make_staff("rita", "Reviewer")
    for _ in range(3):
        client.post("/staff/login/", {"username": "rita", "password": "wrong-password-1"},
                    HTTP_X_FORWARDED_FOR="203.0.113.66", REMOTE_ADDR="10.0.0.1")
    rita = Client()
    response = rita.post("/staff/login/", {"username": "rita", "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302


@pytest.mark.django_db
def test_one_account_guessed_from_many_addresses_is_capped(client, case, settings):
    from tests.staff_users import PASSWORD, make_staff

    settings.CASEAPP_TRUSTED_PROXY_COUNT = 1
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 3
    settings.CASEAPP_LOGIN_ACCOUNT_LIMIT = 6
    make_staff("rita", "Reviewer")
    for n in range(6):  # two guesses from each of three addresses: none locked alone
        client.post("/staff/login/", {"username": "rita", "password": "wrong-password-1"},
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n // 2}", REMOTE_ADDR="10.0.0.1")
    response = client.post("/staff/login/", {"username": "rita", "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.9", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert "There were 6 failed sign-ins for this account" in response.content.decode()
    # The admin's sign-in goes through the same backends: refused there too.
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.1")
    assert authenticate(request, username="rita", password=PASSWORD) is None
