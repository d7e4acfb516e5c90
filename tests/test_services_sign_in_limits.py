"""caseapp.services.sign_in_limits: lockouts an outsider cannot turn against the owner
(issue 20), through the sign-in page as an attacker and the owner would meet them."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from caseapp.auth import PermissionBackend
from caseapp.models import SignInCounter
from tests.staff_users import PASSWORD, make_staff

LOGIN = "/staff/login/"


def attempt(client: Client, address: str, password: str = "wrong-password-1",
            username: str = "rita"):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=address)


@pytest.fixture
def checked(monkeypatch):
    """How many passwords were really checked (the backend after the limits), thread-safe;
    each check takes 50 ms, so that a check-then-count limit would let parallel ones by."""
    import time

    seen = {"n": 0}
    lock = threading.Lock()
    original = PermissionBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        with lock:
            seen["n"] += 1
        time.sleep(0.05)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(PermissionBackend, "authenticate", counting)
    return seen


@pytest.mark.django_db
def test_25_failures_from_one_address_lock_that_address_but_not_the_owner_elsewhere(
        client, case, checked):
    make_staff("rita", "Reviewer")
    statuses = [attempt(client, "203.0.113.9").status_code for _ in range(25)]
    assert statuses == [200] * 5 + [429] * 20
    assert checked["n"] == 5
    locked = attempt(client, "203.0.113.9", PASSWORD)
    assert locked.status_code == 429
    assert "from your network" in locked.content.decode()
    # The owner, at another address, with no cookie from before: in.
    assert attempt(Client(), "198.51.100.7", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_one_failure_from_each_of_30_addresses_locks_the_account(client, case, checked):
    make_staff("rita", "Reviewer")
    statuses = [attempt(client, f"203.0.113.{n}").status_code for n in range(30)]
    assert statuses == [200] * 20 + [429] * 10
    assert checked["n"] == 20
    response = attempt(Client(), "198.51.100.7", PASSWORD)
    assert response.status_code == 429
    assert "There were 20 failed sign-ins for this account" in response.content.decode()
    # The admin's sign-in goes through the same backends: refused there too.
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.1")
    assert authenticate(request, username="rita", password=PASSWORD) is None


@pytest.mark.django_db
def test_the_owner_in_a_browser_used_before_is_not_locked_out_by_others(
        client, case, second_factor):
    from tests.test_views_staff_sign_in import current_code, enrolled_device

    device = enrolled_device(make_staff("rita", "Reviewer"))
    owner = Client()
    attempt(owner, "198.51.100.7", PASSWORD)
    owner.post("/staff/two-factor/", {"token": current_code(device)})
    assert "staff_browser" in owner.cookies
    owner.post("/staff/logout/")
    # Guessing from 30 addresses, and from the owner's own office address too.
    for n in range(30):
        attempt(client, f"203.0.113.{n}")
    for _ in range(6):
        attempt(client, "198.51.100.7")
    assert attempt(Client(), "192.0.2.50", PASSWORD).status_code == 429
    response = attempt(owner, "198.51.100.7", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/two-factor/")


@pytest.mark.django_db
def test_a_forged_or_someone_elses_browser_cookie_exempts_nothing(client, case):
    from caseapp.services.sign_in_limits import KNOWN_BROWSER_COOKIE, sign_in_account

    make_staff("rita", "Reviewer")
    from django.core import signing

    client.cookies[KNOWN_BROWSER_COOKIE] = signing.dumps(
        {"a": sign_in_account("sam"), "b": "x"}, salt="caseapp.staff.known-browser")
    for n in range(20):
        attempt(Client(), f"203.0.113.{n}")
    assert attempt(client, "198.51.100.7", PASSWORD).status_code == 429
    client.cookies[KNOWN_BROWSER_COOKIE] = "forged"
    assert attempt(client, "198.51.100.7", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_success_clears_its_address_and_unlock_clears_the_account(client, case, settings):
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 3
    make_staff("rita", "Reviewer")
    attempt(client, "203.0.113.1")
    attempt(client, "203.0.113.1")
    assert attempt(client, "203.0.113.1", PASSWORD).status_code == 302
    client.post("/staff/logout/")
    assert [attempt(client, "203.0.113.1").status_code for _ in range(4)] == [200] * 3 + [429]
    assert SignInCounter.objects.get(key__startswith="t:").failures == 5
    call_command("staff_unlock", "rita", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not SignInCounter.objects.exists()
    assert attempt(client, "203.0.113.1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_window_ends_after_the_cool_off(client, case, settings, monkeypatch):
    import time

    make_staff("rita", "Reviewer")
    for _ in range(5):
        attempt(client, "203.0.113.1")
    assert attempt(client, "203.0.113.1", PASSWORD).status_code == 429
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert attempt(client, "203.0.113.1", PASSWORD).status_code == 302


def _parallel(addresses: list[str]) -> list[int]:
    statuses: list[int] = []
    start = threading.Barrier(len(addresses))

    def one(address: str) -> None:
        try:
            start.wait()
            statuses.append(attempt(Client(), address).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.django_db(transaction=True)
def test_30_parallel_attempts_from_one_address_check_no_more_than_the_limit(case, checked):
    make_staff("rita", "Reviewer")
    statuses = _parallel(["203.0.113.9"] * 30)
    assert checked["n"] == 5
    assert sorted(statuses) == [200] * 5 + [429] * 25


@pytest.mark.django_db(transaction=True)
def test_30_parallel_attempts_from_30_addresses_check_no_more_than_the_account_limit(
        case, checked):
    make_staff("rita", "Reviewer")
    statuses = _parallel([f"203.0.113.{n}" for n in range(30)])
    assert checked["n"] == 20
    assert sorted(statuses) == [200] * 20 + [429] * 10
    assert attempt(Client(), "198.51.100.7", PASSWORD).status_code == 429
