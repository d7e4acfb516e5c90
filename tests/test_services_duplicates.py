"""caseapp.services.duplicates: marking duplicates and keeping one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caseapp import review_rules
from caseapp.models import Submission
from caseapp.selectors.submission import submission_possible_duplicates
from caseapp.services.duplicates import submission_keep_one, submission_mark_duplicate
from tests.factories import make_submission

pytestmark = pytest.mark.django_db


def test_mark_duplicate_refuses_a_cycle(case, reviewer):
    a, b = make_submission(), make_submission()
    submission_mark_duplicate(submission=a, actor=reviewer, expected_version=1,
                              duplicate_of=b)
    b.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        submission_mark_duplicate(submission=b, actor=reviewer, expected_version=1,
                                  duplicate_of=a)
    assert error.value.code == "duplicate_cycle"


def test_keeping_one_that_was_marked_a_duplicate_makes_it_the_original(reviewer, case):
    a, b, c = make_submission(), make_submission(), make_submission()
    submission_keep_one(keep=a, duplicates=[b, c], actor=reviewer)
    marked = submission_keep_one(keep=b, duplicates=[a], actor=reviewer)
    assert marked == [a.reference]
    rows = {s.pk: s.duplicate_of_id for s in Submission.objects.all()}
    assert rows == {a.pk: b.pk, b.pk: None, c.pk: b.pk}  # c followed to the kept one


# --- matching and closing (issue 19) ---------------------------------------------------------


def test_names_match_with_accents_case_hyphens_and_spaces_folded(case):
    first = make_submission(full_name="Maria Zyxwell Quorn", email="a@example.com", state="TX")
    second = make_submission(full_name="María Zyxwell-Quorn", email="b@example.com",
                             state="TX")
    third = make_submission(full_name="MARIA zyxwellquorn", email="c@example.com", state="TX")
    reasons = {item["submission"].pk: item["reasons"]
               for item in submission_possible_duplicates(submission=first)}
    assert reasons == {second.pk: ["name_state"], third.pk: ["name_state"]}
    assert Submission.objects.get(pk=first.pk).possible_duplicate


def test_phone_numbers_match_when_normalised(case):
    first = make_submission(full_name="Ann One", phone="+1 (415) 555-0100")
    second = make_submission(full_name="Bob Two", phone="415.555.0100")
    other = make_submission(full_name="Cy Three", phone="415 555 0199")
    found = submission_possible_duplicates(submission=second)
    assert [(item["submission"].pk, item["reasons"]) for item in found] == [
        (first.pk, ["phone"])]
    assert not Submission.objects.get(pk=other.pk).possible_duplicate


def test_marking_a_duplicate_closes_it_and_the_kept_one_is_no_longer_possible(case, reviewer):
    kept = make_submission(full_name="Ann One", email="same@example.com")
    copy = make_submission(full_name="Ann Uno", email="same@example.com")
    assert Submission.objects.get(pk=kept.pk).possible_duplicate
    copy = Submission.objects.get(pk=copy.pk)
    submission_mark_duplicate(submission=copy, actor=reviewer, expected_version=copy.version,
                              duplicate_of=kept)
    copy.refresh_from_db()
    kept.refresh_from_db()
    assert copy.review_status == review_rules.DUPLICATE
    assert copy.review_status not in review_rules.OPEN_STATUSES
    assert not kept.possible_duplicate
    # Clearing the mark puts it back into review, and both are possible duplicates again.
    submission_mark_duplicate(submission=copy, actor=reviewer, expected_version=copy.version,
                              duplicate_of=None)
    copy.refresh_from_db()
    kept.refresh_from_db()
    assert copy.review_status == review_rules.IN_REVIEW
    assert kept.possible_duplicate and copy.possible_duplicate


def test_keeping_one_closes_the_others(case, reviewer):
    kept = make_submission(full_name="Ann One", email="same@example.com")
    others = [make_submission(full_name="Ann One", email=f"x{n}@example.com") for n in (1, 2)]
    submission_keep_one(keep=kept, duplicates=others, actor=reviewer)
    assert set(Submission.objects.filter(pk__in=[o.pk for o in others])
               .values_list("review_status", flat=True)) == {review_rules.DUPLICATE}
    assert not Submission.objects.get(pk=kept.pk).possible_duplicate
