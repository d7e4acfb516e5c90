"""caseapp.models: what the models themselves guarantee (the services' writes are tested in
tests/test_services_*.py, the tally's triggers in tests/test_tally.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from caseapp.models import STATE_CHOICES, US_STATES, AuditEvent, Case, Submission
from caseapp.services.audit import audit_record

from .factories import NEEDS_REVIEW_ANSWERS, make_submission


@pytest.fixture
def supervisor():
    return get_user_model().objects.create_user("sup", password="x" * 16)


@pytest.mark.django_db
def test_audit_events_cannot_be_changed_or_deleted_through_the_app(supervisor):
    event = audit_record(actor=supervisor, action="test.action", target="x")
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.action"


@pytest.mark.django_db
def test_audit_events_cannot_be_rewritten_in_bulk_either(supervisor):
    event = audit_record(actor=supervisor, action="test.action")
    event.action = "changed"
    with pytest.raises(PermissionError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.action"


@pytest.mark.parametrize(("language", "field", "expected"), [
    ("es", "status_note", "Nota en español"),
    ("es-mx", "status_note", "Nota en español"),
    ("en", "status_note", "English note"),
    ("es", "registration_closed_message", "Closed in English only"),  # no Spanish written
])
def test_a_case_text_is_in_the_readers_language_when_staff_wrote_one(language, field,
                                                                     expected):
    case = Case(status_note="English note", status_note_es="Nota en español",
                registration_closed_message="Closed in English only",
                registration_closed_message_es="")
    assert case.in_language(field, language) == expected


@pytest.mark.django_db
def test_the_effective_outcome_is_the_override_when_there_is_one(case):
    submission = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    assert submission.effective_outcome == submission.outcome == "needs_review"
    submission.outcome_override = "eligible"
    assert submission.effective_outcome == "eligible"
    assert Submission(outcome="eligible", outcome_override="").effective_outcome == "eligible"


def test_the_states_are_the_fifty_dc_and_five_territories_plus_everyone_else():
    codes = [code for code, _label in US_STATES]
    assert len(codes) == len(set(codes)) == 56
    assert {"DC", "PR", "GU", "VI", "AS", "MP"} <= set(codes)
    assert [code for code, _label in STATE_CHOICES] == [*codes, "outside_us"]



def test_the_database_itself_refuses_to_change_or_delete_an_audit_event(db):
    """Issue 12: append-only in PostgreSQL too (a trigger, migration 0012), whatever SQL is
    sent; only the sealed note may be re-sealed and a deleted account's actor cleared."""
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; .ci/run runs this suite on PostgreSQL")
    event = audit_record(actor=None, action="case.update", target="x", note="sealed words")
    for sql in ("UPDATE caseapp_auditevent SET action = 'forged' WHERE id = %s",
                "UPDATE caseapp_auditevent SET details = '{\"forged\": 1}' WHERE id = %s",
                "DELETE FROM caseapp_auditevent WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "case.update"
    assert AuditEvent.objects.notes_reseal() == 1
    assert AuditEvent.objects.get(pk=event.pk).note == "sealed words"
    # Deleting a staff account clears its events' actor (the name stays in actor_label).
    user = get_user_model().objects.create_user("leaver", password="x" * 16)
    by_user = audit_record(actor=user, action="auth.login")
    user.delete()
    assert AuditEvent.objects.get(pk=by_user.pk).actor_label == "leaver"


@pytest.mark.django_db
def test_the_case_gives_its_status_wording_in_the_readers_language(case):
    case.status = Case.Status.ACTIVE
    assert case.status_text("en") == case.status_text_active
    assert case.status_text("es-mx") == case.status_text_active_es
    assert Case.status_text_field("settled") == "status_text_settled"


@pytest.mark.parametrize("blank", list(Case.FIRM_IDENTITY_REQUIRED))
def test_the_firm_identity_is_complete_only_with_every_required_field(blank):
    firm = {field: "x" for field in Case.FIRM_IDENTITY_REQUIRED}
    assert Case(**firm).firm_identity_complete
    assert not Case(**{**firm, blank: "  "}).firm_identity_complete
    assert not Case(**firm, firm_is_example=True).firm_identity_complete
