"""The queue: filters, sorting, keyset pages, bulk actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from caseapp import eligibility, review_rules
from caseapp.local_time import short_date_time
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, Submission
from caseapp.selectors.case_record import case_for_request, sca_flag_from
from caseapp.selectors.info_requests import info_received_for
from caseapp.selectors.lists import count_bounded, keyset_page
from caseapp.selectors.queue import (
    LAST_QUEUE_SESSION_KEY,
    MY_OPEN_ITEMS_QUERY,
    QUEUE_DEFAULT_SORT,
    QUEUE_SORTS,
    submission_queue,
    submission_queue_rows,
)
from caseapp.selectors.saved_views import saved_views_for
from caseapp.selectors.staff_accounts import staff_reviewers
from caseapp.services.audit import audit_record
from caseapp.services.review import refusal_message, submission_bulk_update
from caseapp.validators import LATEST_DATE
from caseapp.views import htmx_fragment
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue_forms import (
    BulkForm,
    QueueFilterForm,
    audience_query,
    queue_filter_form,
    queue_params,
    work_queue_query,
)

QUEUE_COLUMNS = [
    ("reference", gettext_lazy("Reference")),
    ("received", gettext_lazy("Received")),
    (None, gettext_lazy("Name")),
    ("state", gettext_lazy("State")),
    ("outcome", gettext_lazy("Automatic outcome")),
    ("review_status", gettext_lazy("Review status")),
    (None, gettext_lazy("Assignee")),
    (None, gettext_lazy("Duplicate")),
]


def remember_queue(request: HttpRequest) -> None:
    # The whole queue is remembered as its default sort, so that it differs from "nothing
    # remembered" (which opens a Reviewer's "My open items").
    params = (queue_params(request.GET, search=False).urlencode()
              or f"sort={QUEUE_DEFAULT_SORT}")
    if request.session.get(LAST_QUEUE_SESSION_KEY, "") != params:
        request.session[LAST_QUEUE_SESSION_KEY] = params




def queue_queryset(request: HttpRequest, form: QueueFilterForm, case):
    filters = form.filters()
    return filters, submission_queue(filters=filters, user=request.user, case=case)


def sort_of(form: QueueFilterForm) -> tuple[str, bool]:
    sort = form.cleaned_data.get("sort") or QUEUE_DEFAULT_SORT
    return sort.lstrip("-"), sort.startswith("-")


@dataclass(frozen=True)
class QueueRow:
    """What one queue row shows, worked out here rather than by template filters: at 25 to
    100 rows a page, per-row date formatting, URL reversing and display lookups were most
    of the queue's rendering time."""

    reference: str
    url: str
    received_iso: str
    received_text: str
    age_text: str  # how long it has waited, in whole days
    time_limit: bool  # flagged and still undecided: a reviewer must look at the date
    name: str | None  # None once the person's data was erased
    state: str
    state_label: str
    outcome: str
    outcome_label: str
    override_label: str
    status_label: str
    assignee: str
    duplicate: str  # "marked", "possible" or ""


def _queue_rows(rows, *, reference_date, query: str = "") -> list[QueueRow]:
    url = reverse("staff:submission", args=["REFERENCE"]) + (f"?{query}" if query else "")
    outcomes = {value: str(label) for value, label in OUTCOME_CHOICES}
    statuses = {value: str(label) for value, label in Submission.ReviewStatus.choices}
    states = {value: str(label) for value, label in STATE_CHOICES}
    now = timezone.now()
    shown = []
    for row in rows:
        local = timezone.localtime(row.created_at)
        days = (now - row.created_at).days
        shown.append(QueueRow(
            reference=row.reference, url=url.replace("REFERENCE", row.reference),
            received_iso=local.isoformat(), received_text=short_date_time(local),
            age_text=(ngettext("%(n)d day", "%(n)d days", days) % {"n": days} if days
                      else str(_("today"))),
            # A decided submission's date no longer asks anything of the reviewer.
            time_limit=(review_rules.time_limit_flagged(
                received_on=local.date(), discovered=row.answers.get(eligibility.DISCOVERED),
                reference_date=reference_date)
                and row.review_status in review_rules.OPEN_STATUSES),
            name=None if row.personal_data_erased_at else Truncator(row.full_name).chars(80),
            state=row.state, state_label=states.get(row.state, row.state) if row.state else "",
            outcome=row.outcome, outcome_label=outcomes[row.outcome],
            override_label=outcomes.get(row.outcome_override, ""),
            status_label=statuses.get(row.review_status, row.review_status),
            assignee=row.assignee.username if row.assignee else "",
            duplicate=("marked" if row.duplicate_of_id
                       else "possible" if row.possible_duplicate else ""),
        ))
    return shown


def _time_limit_marks(rows: list[QueueRow]) -> dict:
    """Where to say "time limit". Since the limit passed, every new registration is flagged,
    and a badge on every row told the reviewer nothing; so a row is marked only when the page
    mixes flagged and unflagged open rows, and one line above the table says how many are."""
    flagged = sum(1 for row in rows if row.time_limit)
    return {"rows": rows, "time_limit_flagged": flagged,
            "time_limit_per_row": 0 < flagged < len(rows)}


def _columns(sort_key: str, descending: bool) -> list[dict]:
    columns = []
    for key, label in QUEUE_COLUMNS:
        column = {"key": key, "label": label, "aria_sort": None, "next": None}
        if key is not None:
            current = key == sort_key
            if current:
                column["aria_sort"] = "descending" if descending else "ascending"
            # A first click sorts newest/Z first for dates, A first for the rest.
            first = f"-{key}" if key == "received" else key
            column["next"] = (key if descending else f"-{key}") if current else first
        columns.append(column)
    return columns


@staff_view("caseapp.view_submission")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    case = case_for_request(request)
    form = queue_filter_form(request)
    filters, qs = queue_queryset(request, form, case)
    if filters["search"] is not None:
        audit_record(actor=request.user, action="submission.search", request=request,
                     details={"kind": filters["search"].kind})
    sort_key, descending = sort_of(form)
    per_page = form.cleaned_data.get("per_page") or 25
    page = keyset_page(
        submission_queue_rows(qs), sort_field=QUEUE_SORTS[sort_key],
        descending=descending, per_page=per_page,
        after=request.GET.get("after", "")[:500], before=request.GET.get("before", "")[:500],
    )
    if not (page.next_cursor or page.previous_cursor):
        count, more = len(page.rows), False  # all of it is on this page: no COUNT to run
    else:
        count, more = count_bounded(qs)
    can_bulk = request.user.has_perm("caseapp.bulk_update_submission")
    remember_queue(request)
    wq_query = work_queue_query(request.GET)
    context = {
        "form": form,
        "main_filters": form.main_filters(),
        "saved_views": saved_views_for(owner=request.user),
        "current_query": queue_params(request.GET).urlencode(),
        "my_open_items_query": MY_OPEN_ITEMS_QUERY,
        "more_filters": form.more_filters(),
        "more_filters_set": form.more_filters_set(),
        "page": page,
        "count": count,
        "count_more": more,
        "columns": _columns(sort_key, descending),
        **_time_limit_marks(_queue_rows(
            page.rows, reference_date=min(case.sca_reference_date, LATEST_DATE),
            query=wq_query)),
        "sca_from": sca_flag_from(case=case),
        "wq_query": wq_query,
        "can_review": request.user.has_perm("caseapp.review_submission"),
        "can_bulk": can_bulk,
        "can_export": request.user.has_perm("caseapp.export_submission"),
        # A case update's audience is this queue's filters (bar search and assignee).
        "update_query": audience_query(request.GET) if can_bulk else "",
        "bulk_form": (BulkForm(reviewers=form.reviewers.values(), auto_id="bulk-%s")
                      if can_bulk else None),
        "review_statuses": Submission.ReviewStatus.choices,
        "rules_versions": [eligibility.RULES_VERSION],
        "nav": "queue",
        "info_received": info_received_for(user=request.user),
    }
    template = "caseapp/staff/queue.html"
    if htmx_fragment(request):
        template = "caseapp/staff/_queue_results.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _queue_url(next_url: str, request: HttpRequest) -> str:
    queue_path = reverse("staff:queue")
    if next_url.startswith(queue_path) and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}):
        return next_url
    return queue_path


@staff_view("caseapp.bulk_update_submission")
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, reviewers=staff_reviewers())
    back = _queue_url(request.POST.get("next", ""), request)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        result = submission_bulk_update(
            actor=request.user, references=data["references"], action=data["action"],
            assignee=data.get("assignee_user"), review_status=data.get("review_status", ""),
            reason=data.get("reason", ""), request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    if result.changed:
        messages.success(request, ngettext(
            "%(n)d submission changed: %(references)s.",
            "%(n)d submissions changed: %(references)s.", len(result.changed),
        ) % {"n": len(result.changed), "references": ", ".join(result.changed)})
    else:
        messages.info(request, _("No submission changed."))
    for code, references in result.refused.items():
        messages.warning(request, ngettext(
            "%(n)d left as it was (%(references)s): %(why)s",
            "%(n)d left as they were (%(references)s): %(why)s", len(references),
        ) % {"n": len(references), "references": ", ".join(references),
             "why": refusal_message(code)})
    return redirect(back)
