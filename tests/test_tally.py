"""The overview's running counts (SubmissionTally): triggers keep them equal to a GROUP BY over
the submissions, through every kind of write, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.models import Submission, SubmissionTally
from caseapp.review_rules import next_statuses
from caseapp.services.privacy import submission_erase_personal_data
from caseapp.services.review import submission_bulk_update, submission_review
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import make_staff

STATUSES = Submission.ReviewStatus.values
OVERRIDES = ["", "eligible", "not_eligible", "needs_review"]


def grouped() -> dict:
    rows = (Submission.objects.order_by().values_list("outcome", "outcome_override",
                                                       "review_status")
            .annotate(n=Count("*")))
    return {(o, v, s): n for o, v, s, n in rows}


def tallied() -> dict:
    return {(t.outcome, t.outcome_override, t.review_status): t.total
            for t in SubmissionTally.objects.filter(total__gt=0)}


def _pick(index: int):
    ids = list(Submission.objects.order_by("id").values_list("id", flat=True))
    return Submission.objects.get(id=ids[index % len(ids)]) if ids else None


def op_create(index, actor):
    make_submission(answers=NEEDS_REVIEW_ANSWERS if index % 2 else None)


def op_review(index, actor):
    # Through the service, as a reviewer does it: only the moves the workflow allows.
    submission = _pick(index)
    if submission is None:
        return
    allowed = sorted(next_statuses(submission.review_status))
    status = allowed[index % len(allowed)] if allowed else submission.review_status
    override = OVERRIDES[index % len(OVERRIDES)]
    # A move the rules refuse (accepted and not eligible) writes nothing: still counted right.
    with contextlib.suppress(ValidationError):
        submission_review(submission=submission, actor=actor,
                          expected_version=submission.version, review_status=status,
                          outcome_override=override,
                          override_reason="checked the account records")



def op_bulk(index, actor):
    references = list(Submission.objects.order_by("id").values_list("reference", flat=True)
                      [index % 3::2])
    submission_bulk_update(actor=actor, references=references, action="status",
                           review_status=STATUSES[index % len(STATUSES)])


def op_raw_update(index, actor):
    # Around the services (the admin, a shell): the triggers still count it.
    Submission.objects.filter(id__gte=(_pick(index) or Submission(id=0)).id).update(
        review_status=STATUSES[index % len(STATUSES)],
        outcome_override=OVERRIDES[(index // 2) % len(OVERRIDES)])


def op_unchanged_update(index, actor):
    Submission.objects.filter(id__lte=(_pick(index) or Submission(id=0)).id).update(
        state="TX")


def op_erase(index, actor):
    submission = _pick(index)
    if submission is not None:
        submission_erase_personal_data(submission=submission, actor=actor,
                                       category="person_asked")


def op_delete(index, actor):
    submission = _pick(index)
    if submission is not None:
        submission.delete()


OPERATIONS = [op_create, op_create, op_review, op_bulk, op_raw_update, op_unchanged_update,
              op_erase, op_delete]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 40)),
                      min_size=1, max_size=14))
def test_the_tally_equals_a_group_by_after_any_writes(case, steps):
    actor = (User.objects.filter(username="tally-supervisor").first()
             or make_staff("tally-supervisor", "Supervisor"))
    Submission.objects.all().delete()
    assert tallied() == {}
    for operation, index in steps:
        operation(index, actor)
        assert tallied() == grouped(), operation.__name__


@pytest.mark.django_db
def test_the_tally_is_written_in_the_same_transaction_as_the_submission(case):
    from django.db import transaction

    before = tallied()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_submission()
        raise RuntimeError("rolled back")
    assert tallied() == before == grouped()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_table_empties_the_tally(case):
    make_submission()
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    assert sum(tallied().values()) == 2
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE caseapp_submission CASCADE")
        else:
            # The name tokens and the confirmation emails refer to the submissions (Django
            # cascades them, not SQLite).
            cursor.execute("DELETE FROM caseapp_submissionnametoken")
            cursor.execute("DELETE FROM caseapp_message")
            cursor.execute("DELETE FROM caseapp_submission")
    assert tallied() == {}
