"""caseapp.drafts: the public check's draft in a sealed, expiring cookie."""

from __future__ import annotations

import base64
import json
import time
from http.cookies import SimpleCookie

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.models import Session
from django.http import HttpResponse

from caseapp import crypto, drafts
from caseapp.drafts import COOKIE_NAME, DEFAULT_MAX_AGE, DraftMiddleware, DraftStore

from .factories import ELIGIBLE_ANSWERS, draft_of

pytestmark = pytest.mark.usefixtures("field_keys")

NOTHING = ({}, DEFAULT_MAX_AGE)


def sealed_payload(payload, context: str = drafts.CONTEXT) -> str:
    """Any JSON sealed and encoded as a draft cookie, to plant payloads ``seal`` never makes."""
    token = crypto.cookie_encrypt(json.dumps(payload), context)
    return token.translate(str.maketrans("+/", "-_")).replace("=", ".")


# --- seal and unseal -----------------------------------------------------------------------

def test_a_sealed_draft_opens_to_the_same_data_and_its_own_max_age():
    data = {"check": {"answers": {"country": "US"}, "finished": False}, "reference": "AB12"}
    assert drafts.unseal(drafts.seal(data, max_age=7200)) == (data, 7200)


def test_the_sealed_value_is_a_cookie_value_that_needs_no_quoting():
    value = drafts.seal({"answers": {"inmail": "both"}}, max_age=60)
    assert not set(value) & set('+/="; ,\\')
    jar = SimpleCookie()
    jar[COOKIE_NAME] = value
    assert jar.output() == f"Set-Cookie: {COOKIE_NAME}={value}"


def test_the_sealed_value_does_not_show_the_answers():
    value = drafts.seal({"answers": {"country": "US", "premium": "yes"}}, max_age=60)
    raw = base64.urlsafe_b64decode(value.split(":", 1)[1].replace(".", "="))
    for plain in (b"answers", b"country", b'"US"', b"premium"):
        assert plain not in raw


def test_a_draft_reads_until_its_expiry_and_not_a_second_after():
    value = drafts.seal({"a": 1}, max_age=60, now=1_000_000.0)
    assert drafts.unseal(value, now=1_000_059.0) == ({"a": 1}, 60)
    assert drafts.unseal(value, now=1_000_060.0) == ({"a": 1}, 60)
    assert drafts.unseal(value, now=1_000_060.5) == NOTHING
    assert drafts.unseal(drafts.seal({"a": 1}, max_age=-1)) == NOTHING


def test_any_altered_byte_makes_the_draft_unreadable():
    value = drafts.seal({"answers": {"country": "US"}}, max_age=60)
    for position in (3, len(value) // 2, len(value) - 3):
        changed = "A" if value[position] != "A" else "B"
        assert drafts.unseal(value[:position] + changed + value[position + 1:]) == NOTHING
    assert drafts.unseal(value[:-4]) == NOTHING


@pytest.mark.parametrize("value", ["", "not a cookie", "v2:", "v2:" + "A" * 80,
                                   "gAAAAABfake-fernet-token", "v2:%%%%"])
def test_garbage_reads_as_no_draft_not_as_an_error(value):
    assert drafts.unseal(value) == NOTHING


def test_a_value_sealed_for_another_purpose_does_not_open_as_a_draft():
    """The cookie's name is the associated data: a sealed column value is not a draft."""
    payload = {"data": {"a": 1}, "exp": int(time.time()) + 60, "age": 60}
    assert drafts.unseal(sealed_payload(payload)) == ({"a": 1}, 60)
    assert drafts.unseal(sealed_payload(payload, "caseapp_submission.full_name")) == NOTHING
    # Sealed under the field keys, even for the cookie's own context: not a draft either.
    field_sealed = crypto.encrypt(json.dumps(payload), drafts.CONTEXT)
    assert drafts.unseal(field_sealed.translate(str.maketrans("+/", "-_"))) == NOTHING


@pytest.mark.parametrize("payload", [
    ["not", "a", "dict"],
    {"data": ["a"], "exp": 4_000_000_000},
    {"data": {"a": 1}},
    {"data": {"a": 1}, "exp": "4000000000"},
    {"data": {"a": 1}, "exp": 4_000_000_000.5},
])
def test_a_sealed_payload_of_the_wrong_shape_reads_as_no_draft(payload):
    assert drafts.unseal(sealed_payload(payload)) == NOTHING


def test_a_payload_without_a_usable_age_gets_the_default_max_age():
    for extra in ({}, {"age": "60"}):
        payload = {"data": {"a": 1}, "exp": int(time.time()) + 60, **extra}
        assert drafts.unseal(sealed_payload(payload)) == ({"a": 1}, DEFAULT_MAX_AGE)


def test_the_draft_key_is_its_own_a_field_key_rotation_leaves_drafts_alone(field_keys):
    """Issue 12: the draft is sealed under an HKDF key derived for it alone, not the
    personal-data key: retiring a field key does not touch drafts."""
    use, old = field_keys
    before = drafts.seal({"a": 1}, max_age=60)
    use(Fernet.generate_key().decode())  # the old field key retired at once
    assert drafts.unseal(before) == ({"a": 1}, 60)


def test_a_secret_key_rotation_keeps_drafts_readable_until_the_old_key_is_retired(settings):
    settings.SECRET_KEY = "first-secret-key-" + "x" * 40
    before = drafts.seal({"a": 1}, max_age=60)
    settings.SECRET_KEY = "second-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = ["first-secret-key-" + "x" * 40]
    assert drafts.unseal(before) == ({"a": 1}, 60)
    after = drafts.seal({"b": 2}, max_age=60)
    settings.SECRET_KEY_FALLBACKS = []
    assert drafts.unseal(after) == ({"b": 2}, 60)
    assert drafts.unseal(before) == NOTHING  # a retired key's draft is simply gone


# --- DraftStore ----------------------------------------------------------------------------

def test_the_store_reads_its_cookie_only_when_asked():
    store = DraftStore("not even a sealed value")
    assert not store.accessed and not store.modified
    assert store.get("check") is None and store.get("check", 0) == 0
    assert store.accessed and not store.modified


def test_the_store_opens_its_cookie_with_the_cookie_age():
    store = DraftStore(drafts.seal({"reference": "AB12"}, max_age=600))
    assert store.get("reference") == "AB12"
    assert store.max_age == 600
    assert not store.modified


def test_only_a_real_change_marks_the_store_modified():
    store = DraftStore(drafts.seal({"reference": "AB12"}, max_age=600))
    assert store.pop("missing", "default") == "default"
    assert not store.modified
    assert store.pop("reference") == "AB12"
    assert store.modified and store.data == {}
    other = DraftStore(None)
    other["check"] = {"answers": {}}
    assert other.modified and other.get("check") == {"answers": {}}


def test_a_new_expiry_outlasts_the_age_the_cookie_was_sealed_with():
    store = DraftStore(drafts.seal({"a": 1}, max_age=600))
    store.set_expiry(7200)
    assert store.max_age == 7200 and store.modified
    assert store.get("a") == 1  # loading the cookie after did not put its age back


# --- DraftMiddleware -----------------------------------------------------------------------

def run(rf, action, *, cookie: str | None = None) -> HttpResponse:
    """One request through the middleware to a view that does ``action(request.draft)``."""
    def view(request):
        action(request.draft)
        return HttpResponse("ok")
    if cookie is not None:
        rf.cookies[COOKIE_NAME] = cookie
    return DraftMiddleware(view)(rf.get("/"))


def test_a_page_that_never_looks_at_the_draft_sets_no_cookie_and_no_vary(rf):
    response = run(rf, lambda draft: None, cookie=drafts.seal({"a": 1}, max_age=60))
    assert COOKIE_NAME not in response.cookies
    assert not response.has_header("Vary")


def test_a_page_that_reads_the_draft_varies_on_cookie_but_writes_nothing(rf):
    response = run(rf, lambda draft: draft.get("a"), cookie=drafts.seal({"a": 1}, max_age=60))
    assert response["Vary"] == "Cookie"
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("secure", [True, False])
def test_a_changed_draft_is_written_back_sealed_httponly_and_lax(rf, settings, secure):
    settings.SESSION_COOKIE_SECURE = secure

    def change(draft):
        draft["check"] = {"answers": {"country": "US"}}
        draft.set_expiry(3600)
    cookie = run(rf, change).cookies[COOKIE_NAME]
    assert drafts.unseal(cookie.value) == ({"check": {"answers": {"country": "US"}}}, 3600)
    assert cookie["max-age"] == 3600
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert bool(cookie["secure"]) is secure


def test_an_emptied_draft_deletes_the_cookie(rf):
    response = run(rf, lambda draft: draft.pop("a"), cookie=drafts.seal({"a": 1}, max_age=60))
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == "" and cookie["max-age"] == 0
    assert cookie["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"


# --- through the public pages --------------------------------------------------------------

@pytest.mark.django_db
def test_a_check_keeps_its_draft_in_a_sealed_cookie_that_expires_with_the_retention(
        client, case):
    client.get("/check/country/")
    client.post("/check/country/", {"country": "US"})
    cookie = client.cookies[drafts.COOKIE_NAME]
    assert cookie["max-age"] == case.draft_retention_hours * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # Nothing of the draft is on the server, and the browser cannot read the answers.
    assert not Session.objects.exists()
    sealed = base64.urlsafe_b64decode(cookie.value.split(":", 1)[1].replace(".", "="))
    assert b"country" not in sealed and b'"US"' not in sealed
    assert draft_of(client)["check"]["answers"] == {"country": "US"}
    # Past its expiry the server refuses it, whatever the browser keeps.
    later = time.time() + case.draft_retention_hours * 3600 + 1
    assert drafts.unseal(cookie.value, now=later) == ({}, drafts.DEFAULT_MAX_AGE)


@pytest.mark.django_db
def test_an_altered_or_foreign_draft_cookie_reads_as_no_draft(client, case):
    client.get("/check/country/")
    value = client.cookies[drafts.COOKIE_NAME].value
    flipped = value[:-8] + ("A" if value[-8] != "A" else "B") + value[-7:]
    for bad in (flipped, "v2:" + "A" * 80, "not a cookie", drafts.seal({"x": 1}, max_age=-1)):
        client.cookies[drafts.COOKIE_NAME] = bad
        response = client.post("/check/premium/", {"premium": "yes"})
        assert "no longer available" in response.content.decode()


@pytest.mark.django_db
def test_the_largest_draft_the_check_writes_fits_in_one_browser_cookie(client):
    """RFC 6265 promises 4,096 bytes per cookie (name, value and attributes); a bigger one is
    dropped without a word, and the person's answers with it. The module sets no limit of its
    own, so this holds the draft's contents to it."""
    sizes = []

    def visit(method, path, data=None):
        getattr(client, method)(path, data or {})
        sizes.append(len(client.cookies[COOKIE_NAME].OutputString()))
    visit("get", "/check/country/")
    for key, code in ELIGIBLE_ANSWERS.items():
        visit("post", f"/check/{key}/", {key: code})
    visit("get", "/result/")
    visit("get", "/register/")
    assert set(draft_of(client)["check"]) >= {"answers", "started", "finished", "form_token"}
    assert len(draft_of(client)["check"]["answers"]) == len(ELIGIBLE_ANSWERS)
    assert max(sizes) < 4096
