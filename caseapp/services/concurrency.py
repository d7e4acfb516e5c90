"""Optimistic concurrency for staff edits made from a form loaded earlier."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from caseapp.models import Submission


class StaleEditError(Exception):
    """Someone saved the record after this form was loaded; ``current`` is the fresh row."""

    def __init__(self, current):
        super().__init__("the record changed since the form was loaded")
        self.current = current


def submission_locked(*, submission_id: int, expected_version: int) -> Submission:
    """The row, locked for this transaction, if it is still at the version the form showed;
    else StaleEditError instead of overwriting what someone else saved."""
    current = Submission.objects.select_for_update().get(pk=submission_id)
    if current.version != expected_version:
        raise StaleEditError(current)
    return current


def submission_bump(*, submission: Submission, expected_version: int, **changes) -> None:
    """Write ``changes`` only if nobody moved the version on; the row lock makes it certain."""
    updated = Submission.objects.filter(pk=submission.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise StaleEditError(Submission.objects.get(pk=submission.pk))
