"""Pages beside the check: privacy, and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from caseapp import wording
from caseapp.selectors.case_record import case_for_request
from caseapp.views.public.render import render_page


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    case = case_for_request(request)
    hours = case.draft_retention_hours
    days = case.purge_after_days
    return render_page(request, "caseapp/public/privacy.html", {
        "draft_kept": ngettext(
            "Your answers are kept only in your browser, in an encrypted cookie that cannot be "
            "read or changed outside our server, and that expires after %(hours)s hour.",
            "Your answers are kept only in your browser, in an encrypted cookie that cannot be "
            "read or changed outside our server, and that expires after %(hours)s hours.",
            hours,
        ) % {"hours": hours},
        "retention": ngettext(
            "The firm deletes your name, contact details and its notes about you %(days)s day "
            "after the case is closed, unless a court or the law requires it to keep them longer "
            "(a legal hold). Your answers are then kept without your name or contact details, "
            "for counting only. You can ask for your details to be deleted sooner at any time.",
            "The firm deletes your name, contact details and its notes about you %(days)s days "
            "after the case is closed, unless a court or the law requires it to keep them longer "
            "(a legal hold). Your answers are then kept without your name or contact details, "
            "for counting only. You can ask for your details to be deleted sooner at any time.",
            days,
        ) % {"days": days},
        "privacy_notice": wording.PRIVACY_NOTICE.text,
    })


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403, using="jinja2")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's own handler renders 400.html without the request, so the page around it (case
    # status, language switch) would have nothing to show.
    return render(request, "400.html", status=400, using="jinja2")
