"""Every read caseapp makes for its pages: functions named <entity>_<what>."""

from __future__ import annotations

from caseapp.models import Case, Submission

CASE_SLUG = "de-la-torre-v-linkedin"


def case_current() -> Case:
    """The one case this deployment takes intake for (shipped by a data migration)."""
    return Case.objects.get(slug=CASE_SLUG)


def submission_by_idempotency_key(*, key: str) -> Submission | None:
    return Submission.objects.filter(idempotency_key=key).first()
