"""Shared test data: answer sets and submissions made through the real service layer."""

from __future__ import annotations

import datetime
import itertools
import secrets

from django.utils import timezone

from caseapp.selectors.case_record import case_current
from caseapp.services.intake import submission_create

ELIGIBLE_ANSWERS = {
    "country": "US",
    "premium": "yes",
    "premium_before_cutoff": "yes",
    "inmail": "both",
    "inmail_before_cutoff": "yes",
    "affiliation": "none",
    "discovered": "dont_remember",
}
NEEDS_REVIEW_ANSWERS = {**ELIGIBLE_ANSWERS, "inmail": "unsure", "inmail_before_cutoff": "unsure"}

_counter = itertools.count(1)


def make_submission(*, answers=None, full_name=None, email=None, phone="", state="CA",
                    language="en"):
    n = next(_counter)
    submission, _created = submission_create(
        case=case_current(),
        answers=answers or ELIGIBLE_ANSWERS,
        full_name=full_name or f"Test Person {n}",
        email=email or f"person{n}@example.com",
        phone=phone,
        state=state,
        language=language,
        idempotency_key=secrets.token_urlsafe(32),
    )
    return submission


def close_case(case, *, days_ago, hold=False):
    """Close the case ``days_ago`` days ago with a 30-day retention (on legal hold if asked)."""
    case.status = "closed"
    case.closed_on = timezone.localdate() - datetime.timedelta(days=days_ago)
    case.purge_after_days = 30
    case.legal_hold = hold
    case.save()


def draft_of(client) -> dict:
    """The public check's sealed cookie, opened as the server opens it."""
    from caseapp import drafts

    cookie = client.cookies.get(drafts.COOKIE_NAME)
    return drafts.unseal(cookie.value)[0] if cookie is not None and cookie.value else {}


def draft_put(client, data: dict, *, max_age: int = 3600) -> None:
    """Give the client a sealed cookie holding ``data``, as the question pages would."""
    from caseapp import drafts

    client.cookies[drafts.COOKIE_NAME] = drafts.seal(data, max_age=max_age)


def case_form_data(case, **changes) -> dict:
    """The staff case record form as posted with ``case``'s saved values, then ``changes``;
    empty values and unticked boxes are left out, as a browser leaves them out."""
    from caseapp.services.case_record import CASE_EDITABLE_FIELDS

    data = {}
    for field in CASE_EDITABLE_FIELDS:
        value = getattr(case, field)
        if isinstance(value, bool):
            value = "on" if value else ""
        elif value is None:
            value = ""
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[field] = value
    data["loaded_at"] = case.updated_at.isoformat()
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}
