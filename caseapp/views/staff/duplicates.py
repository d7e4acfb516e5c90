"""Possible duplicates side by side: compare field by field, keep one, mark the others."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from caseapp import eligibility
from caseapp.local_time import time_element
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, Submission
from caseapp.selectors.submission import (
    submission_possible_duplicates,
    submissions_for_staff_by_id,
)
from caseapp.services.audit import audit_record
from caseapp.services.duplicates import submission_keep_one
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.submission import submission_or_404

#: The submission and at most this many others fit side by side on a laptop screen.
MAX_OTHERS = 3


def _cell(submission: Submission, key: str) -> str:
    outcomes, states = dict(OUTCOME_CHOICES), dict(STATE_CHOICES)
    erased = submission.personal_data_erased_at is not None
    if key in ("full_name", "email", "phone"):
        return _("(erased)") if erased else (getattr(submission, key) or "—")
    if key == "received":
        return time_element(submission.created_at)
    if key == "state":
        return str(states.get(submission.state, submission.state or "—"))
    if key == "outcome":
        return str(outcomes.get(submission.outcome, submission.outcome))
    if key == "effective":
        return str(outcomes.get(submission.effective_outcome, submission.effective_outcome))
    if key == "review_status":
        return str(submission.get_review_status_display())
    if key == "assignee":
        return submission.assignee.get_username() if submission.assignee_id else "—"
    if key == "duplicate_of":
        return submission.duplicate_of.reference if submission.duplicate_of_id else "—"
    if key.startswith("answer:"):
        question = eligibility.question(key.removeprefix("answer:"))
        code = submission.answers.get(question.key)
        return str(_(question.choice(code).label)) if code else _("Not answered")
    raise KeyError(key)


ROWS = [
    ("received", gettext_lazy("Received")),
    ("full_name", gettext_lazy("Name")),
    ("email", gettext_lazy("Email")),
    ("phone", gettext_lazy("Phone")),
    ("state", gettext_lazy("State")),
    *[(f"answer:{q.key}", q.text) for q in eligibility.QUESTIONS],
    ("outcome", gettext_lazy("Automatic outcome")),
    ("effective", gettext_lazy("Outcome after review")),
    ("review_status", gettext_lazy("Review status")),
    ("assignee", gettext_lazy("Assignee")),
    ("duplicate_of", gettext_lazy("Marked as a duplicate of")),
]


def _group(reference: str) -> list[Submission]:
    submission = submission_or_404(reference)
    others = [item["submission"] for item in submission_possible_duplicates(
        submission=submission)][:MAX_OTHERS]
    full = submissions_for_staff_by_id(ids=[other.pk for other in others])
    return [submission, *(full[other.pk] for other in others)]


@staff_view("caseapp.view_submission")
@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest, reference: str) -> HttpResponse:
    group = _group(reference)
    by_reference = {submission.reference: submission for submission in group}
    error = ""
    if request.method == "POST":
        if not request.user.has_perm("caseapp.review_submission"):
            return render(request, "caseapp/staff/403.html", status=403)
        keep = by_reference.get(request.POST.get("keep", ""))
        marked = [by_reference[ref] for ref in request.POST.getlist("mark")
                  if ref in by_reference and keep is not None and ref != keep.reference]
        if keep is None or not marked:
            error = _("Choose the registration to keep and tick at least one other to mark as "
                      "its duplicate.")
        else:
            done = submission_keep_one(keep=keep, duplicates=marked, actor=request.user,
                                       request=request)
            messages.success(request, _("Kept %(kept)s; marked as its duplicates: %(marked)s.")
                             % {"kept": keep.reference,
                                "marked": ", ".join(done) or _("none (already marked)")})
            return redirect("staff:submission", reference=keep.reference)
    else:
        audit_record(actor=request.user, action="submission.compare", target=reference,
                     request=request, details={"shown": sorted(by_reference)})
    oldest = min(group, key=lambda submission: (submission.created_at, submission.pk))
    rows = []
    for key, label in ROWS:
        cells = [_cell(submission, key) for submission in group]
        rows.append({"label": label, "cells": cells, "differs": len(set(cells)) > 1})
    return render(request, "caseapp/staff/duplicates.html", {
        "submission": group[0], "group": group, "rows": rows, "keep": oldest.reference,
        "error": error, "can_review": request.user.has_perm("caseapp.review_submission"),
        "nav": "queue",
    }, status=400 if error else 200)
