"""caseapp.views.staff.submission: one submission."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp import eligibility, wording
from caseapp.models import AuditEvent, Case, ReviewEvent, Submission
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_pages import _make_many, detail
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_submission_page_shows_everything_and_audits_the_view(reviewer_client, reviewer, case):
    submission = make_submission(full_name="Ada Lovelace", email="ada@example.com",
                                 phone="+1 415 555 0100", answers=NEEDS_REVIEW_ANSWERS)
    html = detail(reviewer_client, submission).content.decode()
    for q in eligibility.QUESTIONS:
        assert str(q.text).replace("'", "&#x27;") in html
    assert "You are not sure whether you used InMail" in html
    for text in ("Ada Lovelace", "ada@example.com", "+1 415 555 0100", "California",
                 submission.rules_version, submission.consent_version,
                 submission.attestation_version, "Needs review"):
        assert text in html
    event = AuditEvent.objects.get(action="submission.view")
    assert (event.actor, event.target) == (reviewer, submission.reference)


def test_the_page_quotes_the_consent_the_person_agreed_to_even_an_earlier_one(
        reviewer_client, case):
    current = make_submission()
    earlier = make_submission(language="es")
    Submission.objects.filter(pk=earlier.pk).update(
        consent_version=wording.CONSENT_CONTACT_2025.version)
    html = detail(reviewer_client, current).content.decode()
    assert ('consent-2026-12-05.1</code> — <span lang="en">“I agree that the law firm may '
            "contact me") in html
    assert "on the “Manage your registration” page (http" in html
    html = detail(reviewer_client, earlier).content.decode()
    # In the words and the language the person read: the 2025 text, in Spanish.
    assert ('consent-2025-02-01.1</code> — <span lang="es">“Acepto que el bufete de abogados se '
            "comunique conmigo") in html
    assert "escribiéndole al bufete.”</span> (an earlier version)" in html


def test_submission_page_is_404_for_an_unknown_reference(reviewer_client, case):
    assert reviewer_client.get(reverse("staff:submission", args=["LI-2222-2222"])
                               ).status_code == 404


def test_submission_page_flags_the_sca_time_limit(reviewer_client, case):
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2026, 9, 19, 9)))
    assert "Time limit: check needed." in detail(reviewer_client, submission).content.decode()
    Case.objects.filter(pk=case.pk).update(sca_reference_date=datetime.date(2025, 1, 1))
    assert "Time limit" not in detail(reviewer_client, submission).content.decode()


def review(client, submission, **data):
    payload = {"review_status": submission.review_status, "outcome_override": "",
               "override_reason": "", "version": submission.version, **data}
    return client.post(reverse("staff:review", args=[submission.reference]), payload)


def test_review_moves_through_the_workflow_and_shows_the_timeline(reviewer_client, case):
    submission = make_submission()
    response = review(reviewer_client, submission, review_status="in_review")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert (submission.review_status, submission.version) == ("in_review", 2)
    review(reviewer_client, submission, review_status="accepted")
    html = detail(reviewer_client, submission).content.decode()
    assert "Status changed" in html and "In review → Accepted" in html
    assert "submission.review" in audit_actions()


def test_review_refuses_a_jump_the_workflow_does_not_allow(reviewer_client, case):
    submission = make_submission()
    response = review(reviewer_client, submission, review_status="new")
    assert response.status_code == 302  # "new" to "new": nothing to do
    review(reviewer_client, submission, review_status="in_review")
    submission.refresh_from_db()
    response = review(reviewer_client, submission, review_status="new")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    submission.refresh_from_db()
    assert submission.review_status == "in_review"


def test_override_needs_a_written_reason(reviewer_client, case):
    submission = make_submission()
    response = review(reviewer_client, submission, outcome_override="not_eligible")
    assert "Write why you are changing the outcome" in response.content.decode()
    submission.refresh_from_db()
    assert submission.outcome_override == ""


def test_override_with_reason_is_saved_and_recorded(reviewer_client, reviewer, case):
    submission = make_submission()
    review(reviewer_client, submission, outcome_override="not_eligible",
           override_reason="Works at LinkedIn, confirmed by phone.")
    submission.refresh_from_db()
    assert submission.effective_outcome == "not_eligible"
    event = ReviewEvent.objects.get(submission=submission, kind="override")
    assert (event.actor, event.from_value, event.to_value) == (reviewer, "eligible",
                                                               "not_eligible")
    assert event.text == "Works at LinkedIn, confirmed by phone."
    submission.refresh_from_db()
    review(reviewer_client, submission, outcome_override="",
           override_reason="Back to the automatic outcome.")
    submission.refresh_from_db()
    assert submission.effective_outcome == "eligible"


def test_stale_review_gets_a_conflict_not_an_overwrite(reviewer_client, case):
    submission = make_submission()
    loaded_version = submission.version
    # Someone else saves first.
    review(reviewer_client, submission, review_status="in_review")
    response = review(reviewer_client, submission, review_status="in_review",
                      outcome_override="not_eligible", override_reason="My careful reason",
                      version=loaded_version)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this submission while you were editing" in html
    assert "My careful reason" in html
    submission.refresh_from_db()
    assert (submission.outcome_override, submission.version) == ("", 2)
    assert f'name="version" value="{submission.version}"' in html


def test_assignment_and_stale_assignment(reviewer_client, reviewer, case):
    submission = make_submission()
    url = reverse("staff:assign", args=[submission.reference])
    assert reviewer_client.post(url, {"assignee": reviewer.pk, "version": 1}
                                ).status_code == 302
    submission.refresh_from_db()
    assert submission.assignee == reviewer
    response = reviewer_client.post(url, {"assignee": "", "version": 1})
    assert response.status_code == 409
    submission.refresh_from_db()
    assert submission.assignee == reviewer


def test_assignment_refuses_a_user_who_cannot_review(reviewer_client, case):
    submission = make_submission()
    outsider = make_staff("outsider")
    response = reviewer_client.post(reverse("staff:assign", args=[submission.reference]),
                                    {"assignee": outsider.pk, "version": 1})
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.assignee is None


def test_notes_are_added_to_the_timeline(reviewer_client, reviewer, case):
    submission = make_submission()
    url = reverse("staff:note", args=[submission.reference])
    assert reviewer_client.post(url, {"text": "  "}).status_code == 200
    reviewer_client.post(url, {"text": "Called, left a message."})
    note = ReviewEvent.objects.get(kind="note")
    assert (note.actor, note.text) == (reviewer, "Called, left a message.")
    html = detail(reviewer_client, submission).content.decode()
    assert "Called, left a message." in html and "rita" in html
    assert "submission.note" in audit_actions()


def test_possible_duplicates_are_listed_and_can_be_marked(reviewer_client, case):
    original = make_submission(full_name="Ada Lovelace", email="ada@example.com")
    same_email = make_submission(full_name="Someone Else", email="  ADA@example.com")
    same_name = make_submission(full_name="ada   lovelace", email="other@example.com")
    other_state = make_submission(full_name="Ada Lovelace", email="x@example.com", state="NY")
    html = detail(reviewer_client, original).content.decode()
    assert same_email.reference in html and same_name.reference in html
    assert other_state.reference not in html
    for s in (original, same_email, same_name):
        s.refresh_from_db()
        assert s.possible_duplicate
    response = reviewer_client.post(reverse("staff:duplicate", args=[same_email.reference]),
                                    {"duplicate_of": original.reference, "version": 1})
    assert response.status_code == 302
    same_email.refresh_from_db()
    assert same_email.duplicate_of == original
    assert ReviewEvent.objects.filter(kind="duplicate", submission=same_email).exists()


def test_marking_a_duplicate_checks_the_reference(reviewer_client, case):
    submission = make_submission()
    url = reverse("staff:duplicate", args=[submission.reference])
    response = reviewer_client.post(url, {"duplicate_of": "LI-2222-2222", "version": 1})
    assert "No submission has the reference" in response.content.decode()
    response = reviewer_client.post(url, {"duplicate_of": submission.reference, "version": 1})
    assert "cannot be a duplicate of itself" in response.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_submission_page_query_count_does_not_grow(reviewer_client, reviewer, case, rows,
                                                   django_assert_max_num_queries):
    made = _make_many(rows, reviewer)
    target = made[0]
    for i in range(rows):
        ReviewEvent.objects.create(submission=target, actor=reviewer, kind="note",
                                   text=f"note {i}")
    # Opening a new submission starts its review: a conditional UPDATE, its timeline entry,
    # the audit entry and a re-read (4 queries, whatever the size); and the second factor,
    # checked on every request (issue 12).
    with django_assert_max_num_queries(18):  # the second-factor check, the messages
        response = detail(reviewer_client, target)
    assert response.status_code == 200


def test_supervisor_erases_personal_data_with_a_reason(supervisor_client, case):
    submission = make_submission(full_name="Erase Person", email="erase.person@example.com")
    page = supervisor_client.get(reverse("staff:submission", args=[submission.reference]))
    assert "Delete this person" in page.content.decode()
    response = supervisor_client.post(reverse("staff:erase", args=[submission.reference]),
                                      {"category": "person_asked",
                                       "note": "Asked by email\non 3 March", "confirm": "on"})
    assert response.status_code == 302
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "Erase Person" not in page and "were erased on" in page
    event = AuditEvent.objects.get(action="submission.erase")
    assert event.details["reason"] == "person_asked"
    assert event.note == "Asked by email\non 3 March"
    audit = supervisor_client.get(reverse("staff:audit")).content.decode()
    assert "The person asked us to delete it" in audit and "Asked by email<br>on 3 March" in audit


def test_erasure_without_reason_or_confirmation_deletes_nothing(supervisor_client, case):
    submission = make_submission(full_name="Keep Person")
    url = reverse("staff:erase", args=[submission.reference])
    response = supervisor_client.post(url, {"category": "", "confirm": "on"})
    assert response.status_code == 400
    assert "Choose why the data is being deleted" in response.content.decode()
    response = supervisor_client.post(url, {"category": "other", "note": " ", "confirm": "on"})
    assert response.status_code == 400
    assert "Write why the data is being deleted" in response.content.decode()
    response = supervisor_client.post(url, {"category": "person_asked"})
    assert "Tick the box" in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).full_name == "Keep Person"


def test_reviewers_cannot_erase_or_see_the_erase_form(reviewer_client, case):
    submission = make_submission(full_name="Keep Person")
    page = reviewer_client.get(reverse("staff:submission", args=[submission.reference]))
    assert "Delete this person" not in page.content.decode()
    response = reviewer_client.post(reverse("staff:erase", args=[submission.reference]),
                                    {"category": "other", "note": "x", "confirm": "on"})
    assert response.status_code == 403
    assert Submission.objects.get(pk=submission.pk).full_name == "Keep Person"


def test_accepting_a_needs_review_submission_asks_once_to_accept_it_as_eligible(
        reviewer_client, case):
    submission = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    url = reverse("staff:decide", args=[submission.reference])
    asked = reviewer_client.post(url, {"decision": "accepted", "reason": "", "version": 1})
    html = asked.content.decode()
    assert asked.status_code == 200 and 'id="confirm-eligible"' in html
    assert 'value="accepted_eligible" class="btn btn-success" id="confirm-eligible-button">' \
        'Accept as eligible</button>' in html
    assert Submission.objects.get(pk=submission.pk).review_status == "new"
    no_reason = reviewer_client.post(url, {"decision": "accepted_eligible", "reason": "",
                                           "version": 1})
    assert no_reason.status_code == 400
    assert 'id="confirm-eligible"' in no_reason.content.decode()
    done = reviewer_client.post(url, {"decision": "accepted_eligible", "version": 1,
                                      "reason": "Premium confirmed by a billing record"})
    assert done.status_code == 302
    accepted = Submission.objects.get(pk=submission.pk)
    assert (accepted.review_status, accepted.effective_outcome) == ("accepted", "eligible")
    assert accepted.override_reason == "Premium confirmed by a billing record"


def test_accepting_an_eligible_submission_asks_nothing_more(reviewer_client, case):
    submission = make_submission()
    response = reviewer_client.post(reverse("staff:decide", args=[submission.reference]),
                                    {"decision": "accepted", "reason": "", "version": 1})
    assert response.status_code == 302
    assert Submission.objects.get(pk=submission.pk).review_status == "accepted"


def test_the_submission_page_has_no_duplicate_ids(reviewer_client, case):
    import re
    from collections import Counter

    html = detail(reviewer_client, make_submission()).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [name for name, n in ids.items() if n > 1] == []


def test_the_timeline_says_a_registrants_own_actions_in_words(reviewer_client, case):
    from caseapp.services.registrant import submission_contact_correct, submission_copy_record

    submission = make_submission(full_name="Ada Lovelace", state="CA")
    submission_copy_record(submission=submission, form="json")
    submission_contact_correct(submission=submission, source="manage",
                               changes={"full_name": "Ada King", "state": "NY"})
    html = detail(reviewer_client, submission).content.decode()
    timeline = html.split('id="timeline"')[1].split("</section>")[0]
    assert "took a copy of their data (file) (/manage/)" in timeline
    assert "corrected full name, state (/manage/)" in timeline
    assert "downloaded a copy" not in timeline and "full_name" not in timeline
