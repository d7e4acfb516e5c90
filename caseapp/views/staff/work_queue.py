"""Work-queue mode: start on a filtered queue's first submission, go to the next or previous
one in the same filter and sort, claim the next unassigned one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from caseapp.models import Submission
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.lists import keyset_first, keyset_neighbour, keyset_order
from caseapp.selectors.queue import QUEUE_SORTS, submissions_contactable
from caseapp.services.audit import audit_record
from caseapp.services.review import submission_claim_next
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue import queue_queryset, sort_of
from caseapp.views.staff.queue_forms import (
    WORK_QUEUE_FLAG,
    queue_filter_form,
    queue_params,
    queue_url_for,
    work_queue_query,
)


def in_work_queue(request: HttpRequest) -> bool:
    return request.GET.get(WORK_QUEUE_FLAG) == "1"


def submission_url_in_queue(reference: str, query: QueryDict) -> str:
    return f"{reverse('staff:submission', args=[reference])}?{work_queue_query(query)}"


def _queue(request: HttpRequest, *, ignore: tuple[str, ...] = (), audit: bool = False):
    """The queryset and sort of the queue the request's query string describes; ``audit``
    records a search once, where the reviewer starts (not on every page of the walk)."""
    params = queue_params(request.GET)
    for key in ignore:
        params.pop(key, None)
    form = queue_filter_form(request, data=params)
    filters, qs = queue_queryset(request, form, case_for_request(request))
    if audit and filters["search"] is not None:
        audit_record(actor=request.user, action="submission.search", request=request,
                     details={"kind": filters["search"].kind})
    sort_key, descending = sort_of(form)
    # Work-queue mode walks the submissions someone can still be contacted about.
    return submissions_contactable(qs), QUEUE_SORTS[sort_key], descending


def neighbours_in_queue(request: HttpRequest, submission: Submission, *,
                        directions: tuple[bool, ...] = (False,)) -> list[Submission | None]:
    """The submissions after (False) and/or before (True) this one in the request's queue,
    one read of the queue's filters for both."""
    qs, sort_field, descending = _queue(request)
    return [keyset_neighbour(qs.only("id", "reference"), sort_field=sort_field,
                             descending=descending, row=submission, backwards=direction)
            for direction in directions]


@staff_view("caseapp.view_submission")
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """"Start reviewing": the queue's first submission, in work-queue mode."""
    qs, sort_field, descending = _queue(request, audit=True)
    first = keyset_first(qs.only("id", "reference"), sort_field=sort_field,
                         descending=descending)
    if first is None:
        messages.info(request, _("No submission matches these filters, so there is nothing "
                                 "to review."))
        return redirect(queue_url_for(request.GET))
    return redirect(submission_url_in_queue(first.reference, request.GET))


@staff_view("caseapp.review_submission")
@require_POST
def claim(request: HttpRequest) -> HttpResponse:
    """"Claim next unassigned": the first undecided submission of this queue that nobody has,
    now assigned to the reviewer and in review."""
    # "Unassigned" is what is claimed, whoever the queue's own assignee filter names.
    qs, sort_field, descending = _queue(request, ignore=("assignee",), audit=True)
    claimed = submission_claim_next(
        actor=request.user, candidates=qs,
        order=keyset_order(sort_field=sort_field, descending=descending), request=request)
    if claimed is None:
        messages.info(request, _("Every undecided submission in this queue has someone "
                                 "assigned. Widen the filters or pick one yourself."))
        return redirect(queue_url_for(request.GET))
    messages.success(request, _("%(reference)s is now assigned to you.")
                     % {"reference": claimed.reference})
    return redirect(submission_url_in_queue(claimed.reference, request.GET))
