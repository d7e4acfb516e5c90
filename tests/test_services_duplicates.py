"""caseapp.services.duplicates: marking duplicates and keeping one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caseapp.models import Submission
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
