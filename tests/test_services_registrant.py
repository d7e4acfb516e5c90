"""caseapp.services.registrant (issue 21): what a registrant does, kept honest and hard to
abuse: keyed hashes in the audit log, limited address changes, codes strangers cannot block,
a /manage/ visit that ends on the server."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse

from caseapp import crypto
from caseapp.models import AccessCode, AuditEvent, Case, ManageSession, Message, Submission
from caseapp.services import registrant
from caseapp.services.audit import audit_record
from tests.factories import case_form_data, make_submission

pytestmark = pytest.mark.django_db


def request_from(address: str = "198.51.100.7"):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def test_a_registrants_own_actions_keep_a_keyed_hash_of_the_address_not_the_address(case):
    submission = make_submission(email="hash@example.org")
    registrant.submission_contact_correct(submission=submission, changes={"phone": "555 0101"},
                                          source="manage", request=request_from())
    event = AuditEvent.objects.get(action="submission.correct")
    assert event.ip_address is None
    assert event.ip_digest == crypto.keyed_digest("198.51.100.7", purpose="audit client address")
    assert "198.51.100.7" not in event.ip_digest


def test_staff_actions_still_keep_the_address(case, reviewer):
    event = audit_record(actor=reviewer, action="case.update", request=request_from())
    assert (event.ip_address, event.ip_digest) == ("198.51.100.7", "")


def test_withdrawing_keeps_only_the_hash(case):
    submission = make_submission(email="gone@example.org")
    registrant.submission_withdraw(submission=submission, request=request_from())
    event = AuditEvent.objects.get(action="submission.erase")
    assert event.ip_address is None and event.ip_digest


def test_an_address_that_differs_only_in_letter_case_is_not_a_change(case):
    submission = make_submission(email="same@example.org")
    assert registrant.submission_contact_correct(
        submission=submission, changes={"email": "Same@Example.org"}, source="manage") == []
    assert not Message.objects.filter(kind=Message.Kind.EMAIL_CHANGED).exists()


def test_a_new_address_is_unconfirmed_and_the_old_one_is_told(case):
    submission = make_submission(email="old@example.org")
    Submission.objects.filter(pk=submission.pk).update(
        email_confirmed_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    submission.refresh_from_db()
    registrant.submission_contact_correct(
        submission=submission, changes={"email": "new@example.org"}, source="manage")
    submission.refresh_from_db()
    assert submission.email_confirmed_at is None and submission.email_change_unconfirmed
    notice = Message.objects.get(kind=Message.Kind.EMAIL_CHANGED)
    assert notice.to_address == "old@example.org"


@pytest.mark.parametrize("limit_by", ["registration", "new address"])
def test_address_changes_are_limited_per_registration_and_per_new_address(case, settings,
                                                                          limit_by):
    settings.CASEAPP_EMAIL_CHANGE_RATE = "2/h"
    if limit_by == "registration":
        submission = make_submission(email="a@example.org")
        targets = [(submission, f"to{n}@example.org") for n in range(3)]
    else:
        targets = [(make_submission(email=f"r{n}@example.org"), "victim@example.org")
                   for n in range(3)]
    for submission, address in targets[:2]:
        registrant.submission_contact_correct(submission=submission,
                                              changes={"email": address}, source="manage")
    submission, address = targets[2]
    with pytest.raises(registrant.EmailChangeLimited) as refused:
        registrant.submission_contact_correct(submission=submission,
                                              changes={"email": address}, source="manage")
    assert refused.value.retry_after > 0
    submission.refresh_from_db()
    assert submission.email != address


def test_a_changed_address_gets_no_code_until_it_is_confirmed(case):
    submission = make_submission(email="first@example.org")
    registrant.submission_contact_correct(
        submission=submission, changes={"email": "second@example.org"}, source="manage")
    registrant.access_code_request(reference=submission.reference, email="second@example.org",
                                   request=request_from())
    assert not AccessCode.objects.filter(submission=submission).exists()
    Submission.objects.filter(pk=submission.pk).update(
        email_confirmed_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
    registrant.access_code_request(reference=submission.reference, email="second@example.org",
                                   request=request_from())
    assert AccessCode.objects.filter(submission=submission).count() == 1


def test_a_match_and_a_miss_write_the_same_rows_in_the_request(case):
    submission = make_submission(email="pair@example.org")
    for email in ("pair@example.org", "other@example.org"):
        registrant.access_code_request(reference=submission.reference, email=email,
                                       request=request_from())
    assert AccessCode.objects.count() == 2
    assert AuditEvent.objects.filter(action="manage.code_requested").count() == 2


def test_a_sign_out_ends_the_visit_on_the_server(case):
    submission = make_submission(email="visit@example.org")
    key = registrant.manage_session_start(submission=submission)
    assert registrant.manage_session_submission(key=key) == submission
    registrant.manage_session_end(key=key)
    assert registrant.manage_session_submission(key=key) is None
    assert ManageSession.objects.get().ended_at is not None
    assert key not in ManageSession.objects.get().key_hash


def test_withdrawing_ends_every_visit(case):
    submission = make_submission(email="w@example.org")
    key = registrant.manage_session_start(submission=submission)
    registrant.submission_withdraw(submission=submission)
    assert registrant.manage_session_submission(key=key) is None


def test_the_confirmation_can_be_sent_again_within_a_limit(case, settings):
    settings.CASEAPP_CONFIRM_RESEND_RATE = "1/h"
    submission = make_submission(email="again@example.org")
    assert registrant.confirmation_resend(submission=submission) is None
    assert registrant.confirmation_resend(submission=submission) > 0
    kinds = list(Message.objects.filter(submission=submission).values_list("kind", "status"))
    assert kinds == [("confirmation", "cancelled"), ("confirmation", "queued")]


@pytest.mark.parametrize(("status", "closed_on", "hold", "planned"), [
    ("dismissed", None, False, None),
    ("dismissed", datetime.date(2026, 1, 1), False, None),  # dismissed is not closed
    ("closed", None, False, None),
    ("closed", datetime.date(2026, 1, 1), True, None),
    ("closed", datetime.date(2026, 1, 1), False, datetime.date(2026, 1, 31)),
])
def test_the_planned_deletion_date_follows_the_purge_rule(status, closed_on, hold, planned):
    case = Case(status=status, closed_on=closed_on, legal_hold=hold, purge_after_days=30)
    assert case.planned_deletion_date() == planned


def test_staff_record_the_status_date_and_the_docket_check(supervisor_client, case, client):
    response = supervisor_client.post(reverse("staff:case"), case_form_data(
        case, status_changed_on="2025-01-30", docket_checked_on="2026-12-01"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.docket_checked_on == datetime.date(2026, 12, 1)
    page = client.get("/").content.decode()
    assert "Dismissed on January 30, 2025." in page
    assert "Last checked by the firm on December 1, 2026." in page


def test_the_second_registration_email_names_the_first_reference(case, smtp_server):
    from tests.smtp import run_worker

    first = make_submission(email="two@example.org")
    run_worker()
    assert "more than one reference" not in smtp_server.to("two@example.org")[0].text
    make_submission(email="Two@example.org")
    run_worker()
    text = smtp_server.to("Two@example.org")[-1].text
    assert f"This email address is also on reference {first.reference}." in text
    assert "To withdraw one, sign in at “Manage your registration”" in text
