"""The queue: filters, sorting, keyset pages, bulk actions."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
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
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, Submission
from caseapp.selectors.case_record import case_for_request, sca_flag_from
from caseapp.selectors.info_requests import info_received_for
from caseapp.selectors.lists import count_bounded, keyset_page
from caseapp.selectors.queue import (
    LAST_QUEUE_SESSION_KEY,
    MY_OPEN_ITEMS_QUERY,
    OPEN,
    QUEUE_DEFAULT_SORT,
    QUEUE_SORTS,
    submission_queue,
    submission_queue_rows,
    submission_search,
)
from caseapp.selectors.saved_views import saved_views_for
from caseapp.selectors.staff_accounts import staff_reviewers
from caseapp.services.audit import audit_record
from caseapp.services.review import BULK_LIMIT, refusal_message, submission_bulk_update
from caseapp.validators import LATEST_DATE
from caseapp.views import htmx_fragment
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.form_fields import ANY, BoundedDateField, ReviewerChoices

PER_PAGE_CHOICES = [("25", "25"), ("50", "50"), ("100", "100")]

def _sort_choices():
    choices = []
    for key in QUEUE_SORTS:
        choices += [(key, key), (f"-{key}", f"-{key}")]
    return choices

class QueueFilterForm(ReviewerChoices, forms.Form):
    """The queue's filters, read from the query string so a filtered queue is a bookmark."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=254,
        help_text=_("A reference (LI-XXXX-XXXX), a full email address, or one or more whole "
                    "words of a name (“smith”, “maria” finds “María”). Part of a word does "
                    "not match: names and emails are stored encrypted."),
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false",
                                      "autocomplete": "off"}),
    )
    outcome = forms.ChoiceField(label=_("Automatic outcome"), required=False,
                                choices=ANY + OUTCOME_CHOICES)
    review_status = forms.ChoiceField(
        label=_("Review status"), required=False,
        choices=ANY + [(OPEN, _("Open (new, in review, needs information)"))]
        + Submission.ReviewStatus.choices)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False, choices=ANY + STATE_CHOICES)
    country = forms.ChoiceField(
        label=_("Country answered"), required=False,
        choices=ANY + [(c.code, c.label) for c in eligibility.question("country").choices],
    )
    received_from = BoundedDateField(label=_("Received from"), required=False)
    received_to = BoundedDateField(label=_("Received to"), required=False)
    duplicate = forms.ChoiceField(
        label=_("Possible duplicate"), required=False,
        choices=ANY + [("yes", _("Yes")), ("no", _("No"))],
    )
    email_confirmed = forms.ChoiceField(
        label=_("Email confirmed"), required=False,
        choices=ANY + [("yes", _("Yes")), ("no", _("No"))],
    )
    time_limit = forms.ChoiceField(
        label=_("SCA time limit"), required=False,
        choices=ANY + [("flagged", _("Flagged for review"))],
    )
    rules_version = forms.CharField(
        label=_("Rules version"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"list": "rules-versions", "spellcheck": "false"}),
    )
    per_page = forms.TypedChoiceField(label=_("Rows per page"), required=False, coerce=int,
                                      choices=PER_PAGE_CHOICES, empty_value=25)
    sort = forms.ChoiceField(required=False, choices=_sort_choices(),
                             widget=forms.HiddenInput)

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._offer_reviewers(reviewers, ANY + [("me", _("Me")), ("none", _("Unassigned"))])
    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        return value if value in ("", "me", "none") or value.isdigit() else ""

    #: Shown at once; the others fold under "More filters".
    MAIN_FILTERS = ("q", "review_status", "outcome", "assignee")

    def main_filters(self):
        return [self[name] for name in self.MAIN_FILTERS]

    def more_filters(self):
        return [field for field in self.visible_fields() if field.name not in self.MAIN_FILTERS]

    def more_filters_set(self) -> int:
        """How many of the folded filters have a value (so the fold opens to show them)."""
        return sum(1 for field in self.more_filters()
                   if self.data.get(field.name) not in (None, ""))

    def filters(self) -> dict:
        """The valid filters only: one bad value must not hide the whole queue."""
        data = dict(self.cleaned_data) if self.is_bound else {}
        data["search"] = submission_search(text=data.get("q") or "")
        return data

class BulkForm(ReviewerChoices, forms.Form):
    ACTIONS = [("assign", _("Assign")), ("status", _("Set review status"))]

    references = forms.MultipleChoiceField(
        required=True, error_messages={"required": _("Select at least one submission.")},
    )
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ChoiceField(
        label=_("Assign selected to"), required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    review_status = forms.ChoiceField(
        label=_("Decide selected"), required=False,
        choices=[(value, label) for value, label in Submission.ReviewStatus.choices
                 if value != Submission.ReviewStatus.NEW],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        help_text=_("Needed to reject someone the rules did not find ineligible, or to ask "
                    "for information."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._offer_reviewers(reviewers, [("none", _("Nobody (unassign)"))])
        references = self.data.getlist("references") if self.is_bound else []
        self.fields["references"].choices = [(ref, ref) for ref in references]

    def clean_references(self):
        references = self.cleaned_data["references"]
        if len(references) > BULK_LIMIT:
            raise ValidationError(
                _("Select at most %(limit)d submissions at a time."), code="too_many",
                params={"limit": BULK_LIMIT},
            )
        return references

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign":
            value = data.get("assignee") or ""
            if value != "none" and value not in self.reviewers:
                self.add_error("assignee", ValidationError(
                    _("Choose who to assign the submissions to."), code="required"))
            data["assignee_user"] = self.reviewers.get(value)
        return data

# --- the queue page ------------------------------------------------------------------------

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


def reviewers_for(request: HttpRequest) -> list:
    """The reviewers, read once per request: a submission page in work-queue mode needs them
    for the queue's filters and for its assign form."""
    if not hasattr(request, "_staff_reviewers"):
        request._staff_reviewers = staff_reviewers()
    return request._staff_reviewers


def queue_filter_form(request: HttpRequest, data: QueryDict | None = None) -> QueueFilterForm:
    form = QueueFilterForm(request.GET if data is None else data, reviewers=reviewers_for(request))
    form.is_valid()
    return form


#: The query-string keys that describe a queue (filters and sort, not the page): they travel
#: from the queue to each submission and back, so Back and "… and next" keep the queue.
QUEUE_KEYS = tuple(name for name in QueueFilterForm.base_fields if name != "per_page")
#: Marks a submission page opened from a queue: work-queue mode, with "… and next".
WORK_QUEUE_FLAG = "wq"


def queue_params(query: QueryDict, *, search: bool = True) -> QueryDict:
    """The queue part of a query string, in a fixed order, empty values dropped; without the
    search box when ``search`` is false, for what the database keeps (a saved view, the last
    queue in the session): a searched name or email would be stored there in clear."""
    params = QueryDict(mutable=True)
    for key in QUEUE_KEYS:
        value = query.get(key, "")[:254]
        if value and (search or key != "q"):
            params[key] = value
    return params


def work_queue_query(query: QueryDict) -> str:
    """The query string of a submission page in work-queue mode for this queue."""
    params = queue_params(query)
    params[WORK_QUEUE_FLAG] = "1"
    return params.urlencode()


def queue_url_for(query: QueryDict) -> str:
    """The queue page with these filters and sort."""
    params = queue_params(query).urlencode()
    return reverse("staff:queue") + (f"?{params}" if params else "")


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
            received_iso=local.isoformat(), received_text=local.strftime("%Y-%m-%d %H:%M"),
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
