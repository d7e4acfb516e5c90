"""The keyboard shortcuts' help page (the shortcuts themselves: static/caseapp/staff_keys.js)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from caseapp.views.staff.access import staff_view

#: (where, key, what it does): what the help page lists, in the order a reviewer meets them.
SHORTCUTS = [
    (_("Every staff page"), "?", _("Open this list of shortcuts")),
    (_("Every staff page"), "/", _("Go to the search box (on the submissions page)")),
    (_("Submissions"), "j", _("Next row")),
    (_("Submissions"), "k", _("Previous row")),
    (_("Submissions"), "Enter", _("Open the row's submission")),
    (_("Submissions"), "s", _("Start reviewing: open the first submission of this list")),
    (_("Submissions"), "c", _("Claim the next unassigned submission of this list")),
    (_("A submission"), "a", _("Accept (in work-queue mode: accept and open the next)")),
    (_("A submission"), "r", _("Reject (asks for the reason first where one is needed)")),
    (_("A submission"), "i", _("Needs information (asks what is missing first)")),
    (_("A submission"), "Ctrl+Enter", _("In the reason box: send the decision you chose")),
    (_("A submission"), "n", _("Add an internal note")),
    (_("A submission"), "j", _("Next submission in the queue")),
    (_("A submission"), "k", _("Previous submission in the queue")),
    (_("A submission"), "u", _("Back to the queue, with its filters")),
]


@staff_view("caseapp.view_submission")
@require_GET
def keyboard(request: HttpRequest) -> HttpResponse:
    return render(request, "caseapp/staff/keyboard.html", {"shortcuts": SHORTCUTS})
