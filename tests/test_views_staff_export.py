"""caseapp.views.staff.export: the CSV export of a filtered queue."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp import eligibility
from caseapp.models import AuditEvent, Submission
from caseapp.review_rules import DECISIONS, counts_toward_exposure, time_limit_flagged
from caseapp.selectors.export import EXPORT_COLUMNS, spreadsheet_safe
from tests.factories import ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_pages import OUT_OF_RANGE

pytestmark = pytest.mark.django_db


def export_rows(client, **params) -> list[dict]:
    response = client.get(reverse("staff:export"), params)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbfreference,")  # UTF-8's byte-order mark, for Excel
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_streams_the_filtered_queue_with_answer_columns(supervisor_client, case):
    make_submission(full_name="Ada Lovelace")
    needs = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    rows = export_rows(supervisor_client, outcome="needs_review")
    assert [row["reference"] for row in rows] == [needs.reference]
    header = list(rows[0])
    assert header[-len(eligibility.QUESTIONS) - 7:] == [
        *(q.key for q in eligibility.QUESTIONS), "override_reason", "decided_by", "decided_at",
        "decision_reason", "email_confirmed", "info_requested_at", "info_received_at"]
    assert rows[0]["inmail"] == "unsure" and rows[0]["country"] == "US"
    assert len(export_rows(supervisor_client)) == 2


def test_export_is_audited_with_filters_and_rows_but_no_search_text(supervisor_client, case):
    make_submission(email="who@example.com")
    export_rows(supervisor_client, q="who@example.com", outcome="eligible")
    event = AuditEvent.objects.get(action="submission.export")
    assert event.details == {"rows": 1, "filters": {"outcome": "eligible", "search": "email"}}
    assert "who@" not in str(event.details)


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                       "\tcmd", "\rcmd"])
def test_export_disarms_spreadsheet_formulas(supervisor_client, case, dangerous):
    make_submission(full_name=dangerous.strip() if dangerous[0] not in "\t\r" else "x",
                    phone=dangerous if dangerous[0] in "\t\r" else "")
    row = export_rows(supervisor_client)[0]
    cell = row["full_name"] if dangerous[0] not in "\t\r" else row["phone"]
    assert cell.startswith("'")
    assert cell[1:] == (dangerous.strip() if dangerous[0] not in "\t\r" else dangerous)


def _export_as_csv_module_writes_it(case) -> str:
    """The export's contract, restated plainly: model instances through csv.writer."""

    case.refresh_from_db()
    out = io.StringIO()
    writer = csv.writer(out)
    keys = [q.key for q in eligibility.QUESTIONS]
    writer.writerow(EXPORT_COLUMNS + keys + ["override_reason", "decided_by", "decided_at",
                                             "decision_reason", "email_confirmed",
                                             "info_requested_at", "info_received_at"])
    firm = timezone.get_default_timezone()
    for s in Submission.objects.select_related("assignee", "duplicate_of").order_by(
            "-created_at", "-id"):
        decision = s.events.filter(kind="status", to_value=s.review_status,
                                   to_value__in=DECISIONS).order_by("-created_at", "-id").first()
        owed = counts_toward_exposure(status=s.review_status, outcome=s.outcome,
                                      override=s.outcome_override, duplicate=bool(s.duplicate_of),
                                      erased=s.personal_data_erased_at is not None)
        writer.writerow([
            s.reference, s.created_at.astimezone(firm).isoformat(timespec="seconds"),
            *(spreadsheet_safe(v) for v in (s.full_name, s.email, s.phone)),
            s.state, s.language, s.outcome, s.outcome_override, s.effective_outcome,
            s.review_status, spreadsheet_safe(s.assignee.username if s.assignee else ""),
            "yes" if s.possible_duplicate else "no",
            s.duplicate_of.reference if s.duplicate_of else "",
            "yes" if time_limit_flagged(
                received_on=timezone.localdate(s.created_at),
                discovered=s.answers.get(eligibility.DISCOVERED),
                reference_date=case.sca_reference_date) else "no",
            s.estimated_damages if owed else "",
            s.rules_version, s.consent_version, s.attestation_version, s.notice_version,
            *(s.answers.get(key, "") for key in keys),
            spreadsheet_safe(s.override_reason),
            spreadsheet_safe(decision.actor.username if decision and decision.actor else ""),
            (decision.created_at.astimezone(firm).isoformat(timespec="seconds")
             if decision else ""),
            spreadsheet_safe((decision.text or s.override_reason) if decision else ""),
            "yes" if s.email_confirmed_at else "no",
            "", "",
        ])
    return "\ufeff" + out.getvalue()


typed_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     max_size=40).map(str.strip)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(typed_text, typed_text, typed_text), min_size=1, max_size=3))
def test_export_is_byte_for_byte_what_the_csv_module_writes(supervisor_client, case, names):
    # The database writes most of each line; whatever people type, the file must be exactly
    # what Python's csv module would write for the same rows.
    Submission.objects.all().delete()
    for i, (name, email, phone) in enumerate(names):
        submission = make_submission(full_name=name or "x", email=email or f"{i}@example.com",
                                     phone=phone, answers=NEEDS_REVIEW_ANSWERS if i % 2 else None)
        if i:
            Submission.objects.filter(pk=submission.pk).update(
                duplicate_of=Submission.objects.order_by("id").first(), possible_duplicate=True,
                outcome_override="eligible", override_reason=name)
    response = supervisor_client.get(reverse("staff:export"))
    assert b"".join(response.streaming_content).decode() == _export_as_csv_module_writes_it(case)


def test_export_vocabularies_never_need_csv_quoting():
    # The database joins these (CsvJoin) and they go out unquoted: none may hold a comma,
    # quote or line break.
    from caseapp import wording
    from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES

    vocabulary = [value for value, _label in OUTCOME_CHOICES + STATE_CHOICES]
    vocabulary += Submission.ReviewStatus.values + [code for code, _n in settings_languages()]
    vocabulary += [c.code for q in eligibility.QUESTIONS for c in q.choices]
    vocabulary += [eligibility.RULES_VERSION, wording.CONSENT_CONTACT.version,
                   wording.ATTESTATION.version, wording.PRIVACY_NOTICE.version]
    assert all(not set(value) & set(',"\r\n') for value in vocabulary), vocabulary


def settings_languages():
    from django.conf import settings as django_settings

    return django_settings.LANGUAGES


def test_export_times_are_the_firms_with_their_offset_and_the_time_limit_flag_follows_the_reference_date(  # noqa: E501
        supervisor_client, case):
    case.sca_reference_date = datetime.date(2024, 9, 18)
    case.save()
    unknown = {**ELIGIBLE_ANSWERS, eligibility.DISCOVERED: eligibility.DISCOVERED_UNKNOWN}
    inside, outside = make_submission(answers=unknown), make_submission(answers=unknown)
    at = {inside: datetime.datetime(2026, 9, 17, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
          outside: datetime.datetime(2026, 9, 19, 7, 5, 9, tzinfo=datetime.timezone.utc)}
    for submission, when in at.items():
        Submission.objects.filter(pk=submission.pk).update(created_at=when)
    rows = {row["reference"]: row for row in export_rows(supervisor_client)}
    # America/Los_Angeles, daylight time in September (winter time is checked in test_selectors).
    assert rows[inside.reference]["received_at"] == "2026-09-17T16:59:59-07:00"
    assert rows[outside.reference]["received_at"] == "2026-09-19T00:05:09-07:00"
    assert rows[inside.reference]["sca_time_limit_flag"] == "no"
    assert rows[outside.reference]["sca_time_limit_flag"] == "yes"


#: Received on these days (the firm's), against a case reference date of 2025-06-01: the
#: discovery answer's period start counts, else the reference date (two years on).
DISCOVERY_FLAGS = [
    # Before the policy update, or between it and the filing: from 2024-09-18 (at the latest).
    (eligibility.DISCOVERED_BEFORE_POLICY, datetime.date(2026, 9, 18), "no"),
    (eligibility.DISCOVERED_BEFORE_POLICY, datetime.date(2026, 9, 19), "yes"),
    (eligibility.DISCOVERED_AFTER_POLICY, datetime.date(2026, 9, 19), "yes"),
    # From the filing's report, 2025-01-21: in time until 2027-01-21.
    (eligibility.DISCOVERED_AFTER_FILING, datetime.date(2026, 9, 19), "no"),
    (eligibility.DISCOVERED_AFTER_FILING, datetime.date(2027, 1, 22), "yes"),
    # "I don't remember", or no answer (registered before the question): the reference date.
    (eligibility.DISCOVERED_UNKNOWN, datetime.date(2027, 1, 22), "no"),
    (eligibility.DISCOVERED_UNKNOWN, datetime.date(2027, 6, 2), "yes"),
    (None, datetime.date(2027, 6, 1), "no"),
    (None, datetime.date(2027, 6, 2), "yes"),
]


def test_the_time_limit_flag_counts_from_the_discovery_answer(supervisor_client, case):
    case.sca_reference_date = datetime.date(2025, 6, 1)
    case.save()
    made = []
    for answer, day, expected in DISCOVERY_FLAGS:
        submission = make_submission()
        answers = {**submission.answers, eligibility.DISCOVERED: answer}
        if answer is None:
            del answers[eligibility.DISCOVERED]
        noon = datetime.datetime.combine(day, datetime.time(12),
                                         tzinfo=timezone.get_default_timezone())
        Submission.objects.filter(pk=submission.pk).update(answers=answers, created_at=noon)
        made.append((submission.reference, answer, day, expected))
    rows = {row["reference"]: row for row in export_rows(supervisor_client)}
    assert [(answer, day, rows[ref]["sca_time_limit_flag"]) for ref, answer, day, _e in made
            ] == [(answer, day, expected) for _r, answer, day, expected in made]
    for reference, answer, _day, _expected in made:  # the answer column says which rule
        assert rows[reference][eligibility.DISCOVERED] == (answer or "")


def test_export_disarms_a_username_that_looks_like_a_formula(supervisor_client, case):
    # Django usernames may start with @, + or -: staff type them, so they are disarmed too.
    from tests.staff_users import make_staff

    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(
        assignee=make_staff("@SUM.reviewer", "Reviewer"))
    assert export_rows(supervisor_client)[0]["assignee"] == "'@SUM.reviewer"


def test_export_keeps_markup_as_plain_text(supervisor_client, case):
    make_submission(full_name='<script>alert("x")</script>, "quoted"')
    assert export_rows(supervisor_client)[0]["full_name"] == \
        '<script>alert("x")</script>, "quoted"'


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_export_with_a_date_out_of_range_exports_nothing_and_says_why(supervisor_client,
                                                                        case, value):
    make_submission()
    response = supervisor_client.get(reverse("staff:export"), {"received_to": value})
    assert response.status_code == 302 and response["Location"].startswith("/staff/submissions/")
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "Nothing was exported" in page and "Enter a date between" in page
    assert not AuditEvent.objects.filter(action="submission.export").exists()


def test_the_export_works_with_debug_on(supervisor_client, case, settings):
    from django.db import connection

    settings.DEBUG = True
    make_submission(full_name="Debug Person")
    connection.force_debug_cursor = True  # the debug cursor's query log, as under DEBUG
    try:
        rows = export_rows(supervisor_client)
    finally:
        connection.force_debug_cursor = False
    assert [row["full_name"] for row in rows] == ["Debug Person"]
    assert rows[0]["received_at"][:2] == "20" and rows[0]["received_at"][19] in "+-"
    assert AuditEvent.objects.get(action="submission.export").details["rows"] == 1


def test_a_cut_off_export_is_not_audited(supervisor, case, rf):
    from django.core.signals import request_finished
    from django.db import close_old_connections

    from caseapp.views.staff.export import export

    for _ in range(1200):  # more than one chunk of a thousand lines
        make_submission()
    request = rf.get(reverse("staff:export"))
    request.user, request.session = supervisor, {}
    response = export(request)
    assert next(iter(response.streaming_content)).startswith(b"\xef\xbb\xbfreference,")
    # The browser went away after the first chunk: the server closes the response. (Django
    # would also close the database connection, the test's transaction with it.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert not AuditEvent.objects.filter(action="submission.export").exists()
    # Read to the end, the same export is audited.
    complete = export(request)
    b"".join(complete.streaming_content)
    assert AuditEvent.objects.get(action="submission.export").details["rows"] == 1200


def test_every_export_cell_is_disarmed_whatever_its_column(supervisor_client, case):
    submission = make_submission(full_name="Plain Person")
    # Written past the app, as a shell or the admin of old could: values in columns the
    # database joins as vocabularies.
    Submission.objects.filter(pk=submission.pk).update(
        language='=A1,"x"', rules_version='+HYPERLINK("http://e.example"),1',
        consent_version='-2"3\n4', state="@SUM(1)",
        answers={**submission.answers, "country": "=cmd|' /C calc'!A0"})
    make_submission(full_name="Other Person")
    rows = export_rows(supervisor_client)
    assert len(rows) == 2
    row = next(r for r in rows if r["reference"] == submission.reference)
    assert row["language"] == '\'=A1,"x"'
    assert row["rules_version"] == '\'+HYPERLINK("http://e.example"),1'
    assert row["consent_version"] == "'-2\"3\n4"
    assert row["state"] == "'@SUM(1)" and row["country"] == "'=cmd|' /C calc'!A0"
    assert row["full_name"] == "Plain Person"
    for every in rows:
        assert None not in every  # no cell spilled into an extra column
        for value in every.values():
            assert not str(value).startswith(("=", "+", "-", "@"))


def test_damages_are_stated_only_where_something_can_be_owed_and_decisions_are_named(
        supervisor_client, case, reviewer):
    from caseapp.services.duplicates import submission_mark_duplicate
    from caseapp.services.review import submission_decide, submission_review

    accepted, as_eligible, rejected, marked, undecided = (
        make_submission(), make_submission(answers=NEEDS_REVIEW_ANSWERS), make_submission(),
        make_submission(), make_submission())
    submission_decide(submission=accepted, actor=reviewer, expected_version=1,
                      decision="accepted")
    submission_review(submission=as_eligible, actor=reviewer, expected_version=1,
                      review_status="accepted", outcome_override="eligible",
                      override_reason="Billing record shows Premium in 2022")
    submission_decide(submission=rejected, actor=reviewer, expected_version=1,
                      decision="rejected", reason="Says they never used InMail")
    submission_mark_duplicate(submission=marked, actor=reviewer, expected_version=1,
                              duplicate_of=accepted)
    submission_decide(submission=marked, actor=reviewer, expected_version=2,
                      decision="accepted")
    Submission.objects.filter(pk=accepted.pk).update(email_confirmed_at=timezone.now())
    rows = {row["reference"]: row for row in export_rows(supervisor_client)}
    damages = {ref: row["estimated_damages"] for ref, row in rows.items()}
    assert damages == {accepted.reference: "1000", as_eligible.reference: "1000",
                       rejected.reference: "", marked.reference: "", undecided.reference: ""}
    assert rows[as_eligible.reference]["effective_outcome"] == "eligible"
    assert rows[as_eligible.reference]["decision_reason"] == "Billing record shows Premium in 2022"
    assert rows[rejected.reference]["decision_reason"] == "Says they never used InMail"
    assert {rows[r.reference]["decided_by"] for r in (accepted, rejected)} == {"rita"}
    assert rows[accepted.reference]["decided_at"].startswith(
        timezone.localdate().isoformat())
    assert (rows[undecided.reference]["decided_by"], rows[undecided.reference]["decided_at"]) \
        == ("", "")
    assert rows[accepted.reference]["email_confirmed"] == "yes"
    assert rows[undecided.reference]["email_confirmed"] == "no"
