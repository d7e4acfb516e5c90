"""Pages beside the check: privacy, and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from caseapp import wording
from caseapp.local_time import long_date
from caseapp.models import Case
from caseapp.selectors.case_record import case_for_request
from caseapp.services.email.links import manage_url
from caseapp.views.public.render import render_page


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    case = case_for_request(request)
    hours = case.draft_retention_hours
    return render_page(request, "caseapp/public/privacy.html", {
        "draft_kept": ngettext(
            "Your answers are kept only in your browser, in an encrypted cookie that cannot be "
            "read or changed outside our server, and that expires after %(hours)s hour.",
            "Your answers are kept only in your browser, in an encrypted cookie that cannot be "
            "read or changed outside our server, and that expires after %(hours)s hours.",
            hours,
        ) % {"hours": hours},
        "retention": retention_text(case),
        "privacy_notice": wording.PRIVACY_NOTICE.shown(manage_url=manage_url()),
    })


def retention_text(case: Case) -> list[str]:
    """The retention rule the case record holds, in plain words, with the planned deletion
    date when there is one (CASE_FACTS "Retention is a promise"). The same rule as
    services.privacy.retention_purge."""
    days = case.purge_after_days
    rule = ngettext(
        "The firm keeps your details until it closes its file on this case. %(days)s day "
        "later, it deletes your name, contact details and its notes about you.",
        "The firm keeps your details until it closes its file on this case. %(days)s days "
        "later, it deletes your name, contact details and its notes about you.",
        days) % {"days": days}
    planned = case.planned_deletion_date()
    if case.legal_hold:
        when = _("The case is on a legal hold: a court or the law requires the firm to keep "
                 "the data for now. Nothing is deleted while the hold lasts.")
    elif planned is not None:
        when = _("The firm closed its file on %(closed)s. It plans to delete the details on "
                 "%(date)s.") % {"closed": long_date(case.closed_on),
                                          "date": long_date(planned)}
    else:
        when = _("The firm has not closed its file yet, so there is no deletion date yet. "
                 "A dismissed case is not a closed file.")
    return [rule, when]


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403, using="jinja2")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's own handler renders 400.html without the request, so the page around it (case
    # status, language switch) would have nothing to show.
    return render(request, "400.html", status=400, using="jinja2")
