"""caseapp.views.staff.access."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from caseapp import urls_staff
from caseapp.models import Submission
from tests.factories import make_submission
from tests.staff_pages import sign_in
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


#: The only staff URLs anyone may open: signing in and out.
OPEN_URLS = {"login", "logout", "invitation", "password_reset", "password_reset_sent",
             "password_reset_confirm", "password_reset_done"}


SUPERVISOR_ONLY = {"export", "bulk", "case", "audit", "erase", "message_templates", "updates",
                   "update_new", "update", "update_action", "team", "member_role",
                   "member_deactivate", "member_reactivate", "member_second_factor_reset",
                   "member_invitation_resend", "info_request_reasons", "info_request_reason"}


def staff_urls(reference: str = "LI-2345-6789", **ids: int):
    """Every pattern in the staff URL conf, with its name, URL and view; ids other than the
    reference (``update_id``, ``message_id``, ``view_id``) default to 1."""
    values = {"reference": reference, "update_id": 1, "message_id": 1, "view_id": 1,
              "user_id": 1, "token": "x", "uidb64": "x", "reason_id": 1, **ids}
    for pattern in urls_staff.urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {name: values[name] for name in pattern.pattern.converters}
        yield pattern.name, reverse(f"staff:{pattern.name}", kwargs=kwargs), pattern.callback


def test_every_staff_view_declares_its_permission():
    for name, _url, view in staff_urls():
        if name in OPEN_URLS:
            continue
        assert getattr(view, "staff_permission", "").startswith("caseapp."), name


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_url(client, case, method):
    reference = make_submission().reference
    for name, url, _view in staff_urls(reference):
        if name in OPEN_URLS:
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("staff:login") + "?next="), name


@pytest.mark.parametrize("method", ["get", "post"])
def test_signed_in_users_without_permission_are_refused_everywhere(client, case, method):
    client.force_login(make_staff("nobody"))
    reference = make_submission().reference
    for name, url, _view in staff_urls(reference):
        if name in OPEN_URLS:
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 403, name
        assert b"You do not have access to this page" in response.content
    assert Submission.objects.get(reference=reference).version == 1


def test_reviewers_are_refused_the_supervisor_pages(reviewer_client, case):
    reference = make_submission().reference
    for name, url, _view in staff_urls(reference):
        if name in SUPERVISOR_ONLY:
            assert reviewer_client.get(url).status_code == 403, name
            assert reviewer_client.post(url).status_code == 403, name


def test_supervisors_and_superusers_open_every_page(client, supervisor, case):
    from caseapp.models import CaseUpdate

    reference = make_submission().reference
    from caseapp.models import InfoRequestReason

    update = CaseUpdate.objects.create(subject="s", body="b", subject_es="s", body_es="b")
    reason = InfoRequestReason.objects.create(name="n", public_text="e", public_text_es="s")
    for user in (supervisor, make_staff("root", is_superuser=True)):
        client.force_login(user)
        for name, url, _view in staff_urls(reference, update_id=update.pk,
                                           reason_id=reason.pk):
            if name in OPEN_URLS or url.endswith(("/review/", "/assign/", "/notes/",
                                                   "/duplicate/", "/bulk/", "/erase/",
                                                   "/decide/", "/claim/", "/views/",
                                                   "/delete/", "/resend/", "/actions/",
                                                       "/request-information/")) \
                    or name.startswith("member_"):  # POST-only, tested in test_views_staff_team
                continue
            # No device: nothing to verify, and backup codes need one first; "Start
            # reviewing" opens the first submission.
            expected = 302 if name in ("otp_verify", "otp_backup_codes", "queue_start") else 200
            if name == "team" and not user.is_superuser:
                expected = 403  # the team is the Administrators'
            assert client.get(url).status_code == expected, name


def test_staff_pages_are_not_cached_or_indexed(reviewer_client, case):
    reference = make_submission().reference
    response = reviewer_client.get(reverse("staff:submission", args=[reference]))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert b'<meta name="robots" content="noindex, nofollow">' in response.content


# --- issue 12: the requirement on every request; backup codes; sessions that end -----------

def test_no_page_opens_without_a_second_factor(client, case, second_factor):
    make_staff("sue", "Supervisor")
    assert sign_in(client, "sue")["Location"].startswith("/staff/two-factor/setup/")
    assert client.get("/staff/case/")["Location"].startswith("/staff/two-factor/setup/")
    assert client.get("/staff/submissions/export.csv")["Location"].startswith(
        "/staff/two-factor/setup/")

