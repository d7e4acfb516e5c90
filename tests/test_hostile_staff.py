"""Every hostile input at every staff form field and filter: a clear error or stored exactly,
rendered harmless; never a 500, never a half-saved record."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp.models import Case, ReviewEvent, Submission

from .factories import case_form_data, make_submission
from .hostile import CORPUS
from .staff_pages import detail, queue
from .staff_users import make_staff

pytestmark = pytest.mark.django_db

OK = {200, 302, 400, 409}
LIVE_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
               "<svg/onload=alert(1)>")


def short(value: str) -> str:
    """A failure message that names the input without printing 100 KB of it."""
    return repr(value[:40])


def assert_harmless(html: str, value: str) -> None:
    for markup in LIVE_MARKUP:
        assert markup not in html, short(value)


@pytest.fixture
def staff(client, case, settings):
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 1_000_000
    client.force_login(make_staff("root", is_superuser=True))
    return client


@pytest.fixture
def submission(case):
    return make_submission(full_name="Hostile Target", email="target@example.com")


QUEUE_PARAMS = ["q", "outcome", "review_status", "assignee", "state", "country",
                "received_from", "received_to", "duplicate", "time_limit", "rules_version",
                "per_page", "sort", "cursor"]


def test_queue_filters_take_any_input(staff, submission):
    """Every filter at once gets each value (one request each); then each filter alone gets
    a sample, so one filter's error cannot hide another's."""
    url = reverse("staff:queue")
    for n, value in enumerate(CORPUS):
        response = staff.get(url, dict.fromkeys(QUEUE_PARAMS, value),
                             **({"HTTP_HX_REQUEST": "true"} if n % 2 else {}))
        assert response.status_code == 200, short(value)
        assert_harmless(response.content.decode(), value)
    for param in QUEUE_PARAMS:
        for value in CORPUS[::31]:
            assert staff.get(url, {param: value}).status_code == 200, (param, short(value))


def test_audit_filters_take_any_input(staff):
    params = ["action", "actor", "date_from", "date_to", "cursor", "page"]
    for value in CORPUS:
        response = staff.get(reverse("staff:audit"), dict.fromkeys(params, value))
        assert response.status_code == 200, short(value)
    for param in params:
        for value in CORPUS[::12]:
            assert staff.get(reverse("staff:audit"), {param: value}).status_code == 200


def test_export_filters_take_any_input(staff, submission):
    for value in CORPUS[:80]:
        response = staff.get(reverse("staff:export"), {"q": value, "state": value})
        if response.status_code == 302:  # a filter it cannot apply: no export, it says why
            assert response["Location"].startswith("/staff/submissions/"), short(value)
            continue
        assert response.status_code == 200, short(value)
        b"".join(response.streaming_content)


def test_notes_are_refused_clearly_or_stored_exactly_and_shown_escaped(staff, submission):
    url = reverse("staff:note", args=[submission.reference])
    for value in CORPUS:
        before = ReviewEvent.objects.count()
        response = staff.post(url, {"text": value, "version": submission.version})
        assert response.status_code in OK, short(value)
        if response.status_code == 302:
            assert ReviewEvent.objects.count() == before + 1
            assert ReviewEvent.objects.latest("id").text == value.strip(), short(value)
        else:
            assert ReviewEvent.objects.count() == before, short(value)
    page = staff.get(reverse("staff:submission", args=[submission.reference])).content.decode()
    assert_harmless(page, "notes")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("field", ["review_status", "outcome_override", "override_reason"])
def test_review_fields(staff, submission, field):
    url = reverse("staff:review", args=[submission.reference])
    for value in CORPUS:
        current = Submission.objects.get(pk=submission.pk)
        data = {"review_status": "in_review", "outcome_override": "needs_review",
                "override_reason": "checked with the claimant", "version": current.version}
        data[field] = value
        response = staff.post(url, data)
        assert response.status_code in OK, (field, short(value))
        after = Submission.objects.get(pk=submission.pk)
        if response.status_code == 302 and field == "override_reason":
            # A reason is stored with an outcome change; the same outcome again keeps it.
            kept = (value.strip(), current.override_reason)
            assert after.override_reason in kept, short(value)
        if response.status_code != 302:
            assert after.version == current.version, (field, short(value))
            assert_harmless(response.content.decode(), value)


def test_version_fields_take_any_input(staff, submission):
    for name in ("review", "assign", "duplicate"):
        url = reverse(f"staff:{name}", args=[submission.reference])
        for value in CORPUS[:60]:
            response = staff.post(url, {"version": value, "review_status": "in_review",
                                        "assignee": "", "duplicate_of": ""})
            assert response.status_code in OK, (name, short(value))
    assert Submission.objects.get(pk=submission.pk).version == submission.version


def test_assignee_and_duplicate_references_take_any_input(staff, submission):
    other = make_submission()
    for value in CORPUS[::2]:
        current = Submission.objects.get(pk=submission.pk)
        response = staff.post(reverse("staff:assign", args=[submission.reference]),
                              {"assignee": value, "version": current.version})
        assert response.status_code in OK, short(value)
        current = Submission.objects.get(pk=submission.pk)
        response = staff.post(reverse("staff:duplicate", args=[submission.reference]),
                              {"duplicate_of": value, "version": current.version})
        assert response.status_code in OK, short(value)
    assert Submission.objects.get(pk=submission.pk).duplicate_of_id in (None, other.pk)


def test_bulk_actions_take_any_input(staff, submission):
    url = reverse("staff:bulk")
    for value in CORPUS:
        data = {"references": [value, submission.reference], "action": value,
                "assignee": value, "review_status": value, "next": value}
        response = staff.post(url, data)
        assert response.status_code in OK, short(value)
        if response.status_code == 302:
            assert not response["Location"].startswith(("http", "//")), short(value)
    for value in CORPUS[::6]:
        for data in ({"references": [value], "action": "status", "review_status": "in_review"},
                     {"references": [submission.reference], "action": "assign",
                      "assignee": value}):
            assert staff.post(url, data).status_code in OK, short(value)


CASE_TEXT_FIELDS = ["status", "status_note", "status_note_es", "registration_closed_message",
                    "status_text_dismissed", "status_text_dismissed_es", "firm_address",
                    "firm_attorney", "firm_bar_states",
                    "firm_name", "firm_email", "firm_phone", "sca_reference_date",
                    "draft_retention_hours", "purge_after_days", "closed_on"]


@pytest.mark.parametrize("field", CASE_TEXT_FIELDS)
def test_case_record_fields(staff, field):
    for value in CORPUS:
        case = Case.objects.get()
        data = case_form_data(
            case, registration_open="on", registration_closed_message_es="",
            sca_reference_date="2024-09-18", firm_name="Firm", firm_email="firm@example.com",
            firm_phone="", draft_retention_hours="72", purge_after_days="365", closed_on="",
        )
        data[field] = value
        response = staff.post(reverse("staff:case"), data)
        assert response.status_code in OK, (field, short(value))
        saved = Case.objects.get()
        if response.status_code == 302 and field in ("status_note", "firm_name",
                                                     "status_text_dismissed"):
            assert getattr(saved, field) == value.strip(), short(value)
        if response.status_code != 302:
            assert saved.updated_at == case.updated_at, (field, short(value))
    public = staff.get("/").content.decode()
    assert_harmless(public, field)


def test_erase_reason_takes_any_input(staff):
    for value in CORPUS:
        submission = make_submission()
        response = staff.post(reverse("staff:erase", args=[submission.reference]),
                              {"category": "other", "note": value, "confirm": "on"})
        assert response.status_code in OK, short(value)
        erased = Submission.objects.get(pk=submission.pk).personal_data_erased_at is not None
        assert erased == (response.status_code == 302), short(value)


def test_sign_in_and_code_fields_take_any_input(client, case, settings):
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 1_000_000
    for value in CORPUS:
        response = client.post(reverse("staff:login"), {"username": value, "password": value})
        assert response.status_code in (200, 400), short(value)  # 400: body over the limit
        assert_harmless(response.content.decode(), value)
    client.force_login(make_staff("rita", "Reviewer"))
    for value in CORPUS:
        response = client.post(reverse("staff:otp_setup"), {"token": value})
        assert response.status_code == 200, short(value)


def test_public_text_shows_escaped_in_the_queue_and_detail(staff, case):
    names = [v for v in CORPUS if "<" in v and len(v) < 200][:20]
    for name in names:
        make_submission(full_name=name)
    queue = staff.get(reverse("staff:queue"), {"per_page": 100}).content.decode()
    assert_harmless(queue, "queue")
    for submission in Submission.objects.all()[:20]:
        page = staff.get(reverse("staff:submission", args=[submission.reference]))
        assert_harmless(page.content.decode(), submission.full_name)
    assert timezone.now()


def test_hostile_references_in_urls_are_not_found(staff, submission):
    for value in ["LI-\x00AAA-BBBB", "<script>", "' OR '1'='1", "%", "x" * 300, "😀"]:
        for name in ("submission", "review", "note"):
            url = reverse(f"staff:{name}", args=["PLACEHOLDER"]).replace("PLACEHOLDER", value)
            response = staff.get(url) if name == "submission" else staff.post(url, {})
            assert response.status_code == 404, short(value)


# --- what the public typed stays harmless -------------------------------------------------

HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)> \'quoted\' ' + "W" * 300


def test_public_text_is_escaped_in_every_staff_view(supervisor_client, case):
    submission = make_submission(full_name=HOSTILE_NAME, phone="<b>0</b>")
    twin = make_submission(full_name=HOSTILE_NAME, email="twin@example.com")
    supervisor_client.post(reverse("staff:note", args=[submission.reference]),
                           {"text": "<script>bad()</script>"})
    pages = [
        queue(supervisor_client),
        detail(supervisor_client, submission),
        detail(supervisor_client, twin),
        supervisor_client.get(reverse("staff:audit")),
        supervisor_client.get(reverse("staff:overview")),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<script>bad" not in html and "<b>0</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in pages[1].content.decode()

