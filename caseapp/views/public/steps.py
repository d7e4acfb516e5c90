"""Where the check goes from what the draft holds: the next step, or the page for no draft."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from caseapp import eligibility
from caseapp.check_draft import REFERENCE_KEY
from caseapp.views.public.render import render_page


def next_url(determination: eligibility.Determination) -> str:
    if determination.ask:
        return reverse("public:question", args=[determination.ask])
    if determination.outcome is eligibility.Outcome.NOT_ELIGIBLE:
        return reverse("public:result")
    return reverse("public:check_answers")


def draft_expired(request: HttpRequest) -> HttpResponse:
    """No check in progress: after registering, say so (Back, reload or a step's URL after the
    confirmation must never claim that nothing was saved); otherwise the draft expired."""
    reference = request.draft.get(REFERENCE_KEY)
    if reference:
        return render_page(request, "caseapp/public/already_registered.html",
                           {"registered_reference": reference})
    return render_page(request, "caseapp/public/session_expired.html", {})
