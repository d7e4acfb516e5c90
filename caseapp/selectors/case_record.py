"""The one case record, read once per request, and the dates derived from it."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.utils import timezone

from caseapp import review_rules
from caseapp.models import Case
from caseapp.validators import LATEST_DATE

CASE_SLUG = "de-la-torre-v-linkedin"


def case_current() -> Case:
    """The one case this deployment takes intake for (shipped by a data migration)."""
    return Case.objects.get(slug=CASE_SLUG)


class PublicCaseCache:
    """The case record as this process's public pages share it, for at most
    ``settings.CASEAPP_PUBLIC_CASE_MAX_AGE`` seconds (5 by default; 0 turns it off).

    A question page otherwise spent a third of its time reading the case (issue 5). A staff
    edit reaches other processes' public pages within the maximum age; this process forgets
    its copy when a case is saved (``apps.py``, at once and again after the commit) and when
    the setting changes. Registering reads the record afresh (``case_for_request(fresh=True)``),
    so closing registration takes effect at once. The test suite runs with the cache off
    (``tests/conftest.py``), because a test's rolled-back transaction would leave it holding a
    record that no longer exists; the cache's own tests turn it on."""

    def __init__(self) -> None:
        self._entry: tuple[float, Case] | None = None

    def get(self) -> Case:
        max_age = settings.CASEAPP_PUBLIC_CASE_MAX_AGE
        now = time.monotonic()
        if self._entry is not None and now - self._entry[0] < max_age:
            return self._entry[1]
        case = case_current()
        if max_age > 0:
            self._entry = (now, case)
        return case

    def forget(self, **_signal) -> None:
        self._entry = None


public_case_cache = PublicCaseCache()


def case_for_request(request, *, fresh: bool = False) -> Case:
    """The case, read once per request however many templates and views ask for it; public
    pages may use ``public_case_cache``, unless ``fresh``."""
    case = getattr(request, "_caseapp_case", None)
    if case is not None and not fresh:
        return case
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "public" and not fresh:
        case = public_case_cache.get()
    else:
        case = case_current()
    request._caseapp_case = case
    return case


def sca_flag_from(*, case: Case) -> datetime.datetime:
    """The first moment after the 18 U.S.C. § 2707(f) two-year window from the case's
    reference date; submissions received from then on are flagged for a time-limit review."""
    return sca_flag_from_date(case.sca_reference_date)


def sca_flag_from_date(start: datetime.date) -> datetime.datetime:
    """The first moment after the two years counted from ``start``."""
    # A date beyond the forms' range (written past them) must not overflow every page.
    first_flagged = review_rules.sca_limit_last_day(
        min(start, LATEST_DATE)) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(first_flagged, datetime.time.min))
