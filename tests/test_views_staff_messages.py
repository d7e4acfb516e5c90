"""Staff: whether a registrant confirmed their address, on the submission and in the queue."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp.models import AuditEvent, Submission
from tests.factories import make_submission
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_client(client):
    client.force_login(make_staff("rita", "Reviewer"))
    return client


def refs(response) -> set[str]:
    return {row.reference for row in response.context["page"].rows}


def test_the_queue_filters_by_whether_the_email_is_confirmed(reviewer_client, case):
    confirmed, unconfirmed = make_submission(), make_submission()
    Submission.objects.filter(pk=confirmed.pk).update(email_confirmed_at=timezone.now())
    queue = reverse("staff:queue")
    assert refs(reviewer_client.get(queue, {"email_confirmed": "yes"})) == {confirmed.reference}
    assert refs(reviewer_client.get(queue, {"email_confirmed": "no"})) == {
        unconfirmed.reference}
    assert refs(reviewer_client.get(queue)) == {confirmed.reference, unconfirmed.reference}


def test_the_submission_page_says_whether_the_email_is_confirmed(reviewer_client, case):
    submission = make_submission()
    page = reverse("staff:submission", args=[submission.reference])
    assert "Not confirmed" in reviewer_client.get(page).content.decode()
    Submission.objects.filter(pk=submission.pk).update(email_confirmed_at=timezone.now())
    html = reviewer_client.get(page).content.decode()
    assert 'id="email-confirmed">Confirmed' in html


def test_the_registrants_own_actions_are_on_the_timeline(reviewer_client, case):
    from caseapp.services import contact, registrant
    from caseapp.services.email import links

    submission = make_submission(email="typo@exmaple.org")
    registrant.submission_contact_correct(submission=submission,
                                          changes={"email": "typo@example.org"},
                                          source="confirmation page")
    contact.submission_email_confirm(
        token=links.confirm_token(submission=Submission.objects.get(pk=submission.pk)))
    html = reviewer_client.get(
        reverse("staff:submission", args=[submission.reference])).content.decode()
    assert "Registrant action</strong>: corrected email (confirmation page)" in html
    assert "Email address confirmed</strong>" in html
    assert html.count("the registrant") == 2


# --- writing to one registrant ----------------------------------------------------------------

def test_a_reviewer_writes_from_a_template_previews_and_sends(reviewer_client, case,
                                                             smtp_server):
    from caseapp.models import Message
    from tests.smtp import run_worker

    case.firm_email = "intake@firm.example"
    case.save()
    submission = make_submission(email="reader@example.org")
    url = reverse("staff:message", args=[submission.reference])
    page = reviewer_client.get(url, {"template": "needs-information"})
    assert "We need more information about your registration" in page.content.decode()
    token = page.context["form"].initial["submit_token"]

    # The template's gap must be filled in before the message can go.
    refused = reviewer_client.post(url, {"subject": "We need more information",
                                         "body": "Hello [Write what the firm needs to know.]",
                                         "send": "1", "submit_token": token})
    assert "square brackets" in refused.content.decode()

    data = {"subject": "We need more information",
            "body": "Hello,\n\nWhich Premium plan did you have?", "submit_token": token}
    preview = reviewer_client.post(url, {**data, "preview": "1"}).content.decode()
    assert "Which Premium plan did you have?" in preview and submission.reference in preview
    assert not Message.objects.filter(kind="staff").exists()

    response = reviewer_client.post(url, {**data, "send": "1"})
    assert response["Location"].endswith("#messages")
    # The same form sent again (a double click, a reload) sends nothing more.
    again = reviewer_client.post(url, {**data, "send": "1"})
    assert again["Location"] == response["Location"]
    assert Message.objects.filter(kind="staff").count() == 1
    run_worker()
    assert len(smtp_server.to("reader@example.org")) == 2  # the confirmation, and this one
    received = smtp_server.to("reader@example.org")[-1]
    assert received.message["Subject"] == "We need more information"
    assert received.message["Reply-To"] == "intake@firm.example"
    assert "Which Premium plan did you have?" in received.text
    for body in (received.text, received.html):  # both parts say who is speaking
        assert "Attorney advertising. This is not legal advice." in body
    page = reviewer_client.get(reverse("staff:submission", args=[submission.reference]))
    html = page.content.decode()
    assert "Message from staff</strong>: <span class=\"user-text\">We need more information" \
        in html
    assert "250 2.0.0 Ok" in html


def test_a_spanish_registrant_gets_the_spanish_template(reviewer_client, case):
    submission = make_submission(language="es")
    page = reviewer_client.get(reverse("staff:message", args=[submission.reference]),
                               {"template": "accepted"}).content.decode()
    assert "Su registro fue aceptado" in page


@pytest.mark.parametrize("key", ["\x00", "accepted\x00", "../accepted", "é"])
def test_a_template_key_that_is_no_slug_opens_an_empty_message(reviewer_client, case, key):
    """``?template=%00`` was a 500 on PostgreSQL, which refuses a NUL byte in a query."""
    submission = make_submission()
    response = reviewer_client.get(reverse("staff:message", args=[submission.reference]),
                                   {"template": key})
    assert response.status_code == 200
    assert response.context["template"] is None


def test_staff_can_resend_a_message_and_not_a_sign_in_code(reviewer_client, case,
                                                           smtp_server):
    from caseapp.models import AccessCode, Message
    from tests.smtp import run_worker

    submission = make_submission(email="again@example.org")
    run_worker()
    confirmation = Message.objects.get(submission=submission)
    page = reviewer_client.get(reverse("staff:submission", args=[submission.reference]))
    resend = {"submit_token": page.context["resend_token"]}
    for _click in range(2):  # a double click resends once
        reviewer_client.post(reverse("staff:message_resend",
                                     args=[submission.reference, confirmation.pk]), resend)
    run_worker()
    assert len(smtp_server.to("again@example.org")) == 2
    code = Message.objects.create(submission=submission, kind="access_code", language="en",
                                  status="sent")
    AccessCode.objects.create(submission=submission, challenge_hash="x", message=code,
                              expires_at=timezone.now())
    response = reviewer_client.post(reverse("staff:message_resend",
                                            args=[submission.reference, code.pk]), follow=True)
    assert "cannot be resent" in response.content.decode()


def test_a_supervisor_edits_the_message_templates(client, case):
    from caseapp.models import MessageTemplate

    client.force_login(make_staff("sam", "Supervisor"))
    url = reverse("staff:message_templates")
    assert "We need more information" in client.get(url).content.decode()
    template = MessageTemplate.objects.get(key="accepted")
    data = {"template": "accepted", "accepted-name": template.name,
            "accepted-subject": "Good news", "accepted-body": template.body,
            "accepted-subject_es": template.subject_es, "accepted-body_es": template.body_es}
    assert client.post(url, data).status_code == 302
    assert MessageTemplate.objects.get(key="accepted").subject == "Good news"
    assert AuditEvent.objects.filter(action="message_template.update", target="accepted",
                                     actor__username="sam").count() == 1


def test_a_template_is_saved_with_its_audit_row_or_not_at_all(client, case, monkeypatch):
    from caseapp.models import MessageTemplate
    from caseapp.services import staff_messages

    def audit_fails(**_kwargs):
        raise RuntimeError("the audit log refused the row")

    monkeypatch.setattr(staff_messages, "audit_record", audit_fails)
    client.force_login(make_staff("sam", "Supervisor"))
    template = MessageTemplate.objects.get(key="accepted")
    data = {"template": "accepted", "accepted-name": template.name,
            "accepted-subject": "Good news", "accepted-body": template.body,
            "accepted-subject_es": template.subject_es, "accepted-body_es": template.body_es}
    client.raise_request_exception = False
    response = client.post(reverse("staff:message_templates"), data)
    assert response.status_code == 500
    assert MessageTemplate.objects.get(key="accepted").subject == template.subject
    # The error page says so in both languages (it is static: no catalogue when all fails).
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert '<div lang="es">\n<h2>Lo sentimos, hay un problema con el servicio</h2>' in page


def test_reviewers_cannot_edit_templates_or_send_case_updates(reviewer_client, case):
    for name in ("staff:message_templates", "staff:updates", "staff:update_new"):
        assert reviewer_client.get(reverse(name)).status_code == 403


# --- case updates -----------------------------------------------------------------------------

@pytest.fixture
def supervisor_client(client):
    user = make_staff("sue", "Supervisor")
    user.email = "sue@firm.example"
    user.save()
    client.force_login(user)
    return client


UPDATE = {"subject": "The case was refiled", "body": "Filed again today.",
          "subject_es": "El caso se volvió a presentar", "body_es": "Se presentó hoy.",
          "submit_token": "one-time-token-of-this-form"}


def test_a_supervisor_counts_previews_tests_and_sends_an_update(supervisor_client, case,
                                                               smtp_server):
    from caseapp.models import CaseUpdate, Message
    from tests.factories import NEEDS_REVIEW_ANSWERS
    from tests.smtp import run_worker

    make_submission(), make_submission(), make_submission(answers=NEEDS_REVIEW_ANSWERS)
    run_worker()
    smtp_server.messages.clear()
    url = reverse("staff:update_new")
    preview = supervisor_client.post(url, {**UPDATE, "outcome": "eligible", "preview": "1"})
    html = preview.content.decode()
    assert "This update would go to 2 people." in html
    assert "Filed again today." in html and "Se presentó hoy." in html
    assert not CaseUpdate.objects.exists()

    test = supervisor_client.post(url, {**UPDATE, "outcome": "eligible", "test": "1",
                                        "expected_count": "2"})
    assert "Test sent to sue@firm.example" in test.content.decode()
    assert [m.message["Subject"] for m in smtp_server.to("sue@firm.example")] == [
        "[TEST] The case was refiled", "[TEST] El caso se volvió a presentar"]

    # A send with a count that no longer matches is stopped.
    stale = supervisor_client.post(url, {**UPDATE, "outcome": "eligible", "send": "1",
                                         "expected_count": "5"})
    assert "the audience is now 2 people" in stale.content.decode()
    sent = supervisor_client.post(url, {**UPDATE, "outcome": "eligible", "send": "1",
                                        "expected_count": "2"})
    update = CaseUpdate.objects.get()
    assert sent["Location"] == reverse("staff:update", args=[update.pk])
    assert update.recipients == 2
    run_worker()
    page = supervisor_client.get(sent["Location"]).content.decode()
    assert 'data-status="sent">2<' in page
    assert "Automatic outcome: Eligible" in page and "outcome=eligible" not in page
    assert Message.objects.filter(update=update, status="sent").count() == 2


def test_changing_the_case_status_offers_an_update(supervisor_client, case):
    from tests.staff_pages import case_form

    response = supervisor_client.post(reverse("staff:case"), case_form(case, status="refiled",
                                                                       confirm_status="1"),
                                      follow=True)
    html = response.content.decode()
    assert "The case status changed." in html
    assert "?from=case-status" in html
    prefilled = supervisor_client.get(reverse("staff:update_new"), {"from": "case-status"})
    assert "News about the case: Refiled" in prefilled.content.decode()


def test_saving_the_case_record_without_a_status_change_offers_nothing(supervisor_client,
                                                                       case):
    from tests.staff_pages import case_form

    response = supervisor_client.post(reverse("staff:case"),
                                      case_form(case, firm_name="Other LLP"), follow=True)
    assert "The case status changed." not in response.content.decode()


@pytest.mark.parametrize("field", ["subject", "body"])
def test_a_message_template_without_its_spanish_version_is_refused(client, case, field):
    from caseapp.models import MessageTemplate

    client.force_login(make_staff("sam", "Supervisor"))
    template = MessageTemplate.objects.get(key="accepted")
    data = {"template": "accepted", "accepted-name": template.name,
            "accepted-subject": "Good news", "accepted-body": template.body,
            "accepted-subject_es": template.subject_es, "accepted-body_es": template.body_es,
            f"accepted-{field}_es": ""}
    response = client.post(reverse("staff:message_templates"), data)
    assert response.status_code == 400
    form = dict(response.context["forms"])["accepted"]
    assert [e.code for e in form.errors.as_data()[f"{field}_es"]] == ["spanish_required"]
    assert "Write this in Spanish too" in response.content.decode()
    assert MessageTemplate.objects.get(key="accepted").subject == template.subject
