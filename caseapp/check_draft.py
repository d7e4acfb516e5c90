"""What the public pages keep in the draft cookie (caseapp/drafts.py): the check in progress,
and the reference once registered. The check's pages and the registration read it here."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from caseapp import eligibility
from caseapp.models import DailyCount
from caseapp.selectors.case_record import case_for_request
from caseapp.services.intake import daily_count_increment

#: The check in progress: its answers, when it started, whether it finished, the form's token.
CHECK_KEY = "check"
#: After registering: the reference the confirmation shows, and when (for the address fix).
REFERENCE_KEY = "reference"
REGISTERED_AT_KEY = "registered_at"


def draft_current(request: HttpRequest) -> dict | None:
    """The check in progress, or None when there is none or it has expired."""
    draft = request.draft.get(CHECK_KEY)
    if not isinstance(draft, dict) or not isinstance(draft.get("answers"), dict):
        return None
    started = draft.get("started", 0)
    max_age = case_for_request(request).draft_retention_hours * 3600
    if timezone.now().timestamp() - started > max_age:
        request.draft.pop(CHECK_KEY, None)
        return None
    try:
        eligibility.validate(draft["answers"])
    except ValueError:
        return None
    return draft


def draft_start(request: HttpRequest) -> dict:
    draft = {"answers": {}, "started": timezone.now().timestamp(), "finished": False}
    request.draft[CHECK_KEY] = draft
    # The cookie expires with the draft: the browser forgets it, and the server checks too.
    request.draft.set_expiry(case_for_request(request).draft_retention_hours * 3600)
    daily_count_increment(metric=DailyCount.Metric.STARTED)
    return draft


def draft_save(request: HttpRequest, draft: dict) -> None:
    request.draft[CHECK_KEY] = draft
