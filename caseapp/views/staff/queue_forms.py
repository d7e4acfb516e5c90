"""The queue's filter form and its query codec, shared by every page that chooses
submissions the way the queue does: the queue, its export, work-queue mode, saved views, and
the audience of a case update (one form class, one set of field names, so a filtered queue's
query string is also an audience)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from caseapp import eligibility, review_rules
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, Submission
from caseapp.selectors.queue import (
    OPEN,
    QUEUE_SORTS,
    submission_search,
)
from caseapp.selectors.staff_accounts import staff_reviewers
from caseapp.services.review import BULK_LIMIT
from caseapp.services.updates import AUDIENCE_FILTERS
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
        choices=ANY + [(c.code, _(c.label)) for c in eligibility.question("country").choices],
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

    def __init__(self, *args, reviewers=(), only: tuple[str, ...] | None = None, **kwargs):
        """``only``: keep just these filters (a case update's audience keeps
        ``AUDIENCE_FILTERS``), under the same names."""
        super().__init__(*args, **kwargs)
        if only is not None:
            for name in list(self.fields):
                if name not in only:
                    del self.fields[name]
        if "assignee" in self.fields:
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
    #: What a reviewer may choose: "needs information" is a request to each person ("Ask for
    #: information"), and the statuses set by events are never chosen.
    review_status = forms.ChoiceField(
        label=_("Decide selected"), required=False,
        choices=[(value, label) for value, label in Submission.ReviewStatus.choices
                 if value in (review_rules.IN_REVIEW, review_rules.ACCEPTED,
                              review_rules.REJECTED)],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        help_text=_("Needed to reject someone the rules did not find ineligible."),
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


def queue_return_url(next_url: str, request: HttpRequest) -> str:
    """Where a bulk action returns: the queue page it was posted from (``next``), if it is
    one of ours, else the queue."""
    queue_path = reverse("staff:queue")
    if next_url.startswith(queue_path) and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}):
        return next_url
    return queue_path


def queue_url_for(query: QueryDict) -> str:
    """The queue page with these filters and sort."""
    params = queue_params(query).urlencode()
    return reverse("staff:queue") + (f"?{params}" if params else "")


def audience_form(data: QueryDict | None) -> QueueFilterForm:
    """The queue's filter form as a case update's audience: the same class and names, only the
    filters an audience may be chosen by."""
    form = QueueFilterForm(data, only=AUDIENCE_FILTERS)
    if data is not None:
        form.is_valid()
    return form


def audience_query(query: QueryDict) -> str:
    """A queue's query string as the audience of a case update ("Send an update to these")."""
    params = QueryDict(mutable=True)
    for key in AUDIENCE_FILTERS:
        if value := query.get(key, "")[:254]:
            params[key] = value
    return params.urlencode()
