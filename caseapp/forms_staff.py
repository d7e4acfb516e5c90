"""Staff forms: sign-in, queue filters, review, assignment, notes, duplicates, bulk, case."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from caseapp import eligibility, selectors, services
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, Case, Submission
from caseapp.validators import reject_control_characters

ANY = [("", _("Any"))]
PER_PAGE_CHOICES = [("25", "25"), ("50", "50"), ("100", "100")]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewerChoices:
    """A form whose ``assignee`` choices are the reviewers the page has already read
    (``selectors.staff_reviewers``), after ``first`` choices of its own; ``self.reviewers``
    maps each choice back to its user. A model choice field would read them again, through a
    server-side cursor on PostgreSQL."""

    def _offer_reviewers(self, reviewers, first: list) -> None:
        self.reviewers = {str(user.pk): user for user in reviewers}
        self.fields["assignee"].choices = first + [
            (pk, user.get_username()) for pk, user in self.reviewers.items()
        ]


def _sort_choices():
    choices = []
    for key in selectors.QUEUE_SORTS:
        choices += [(key, key), (f"-{key}", f"-{key}")]
    return choices


class StaffAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.widget.attrs.update({"autocomplete": "username"})
        # AuthenticationForm sets max_length without its validator; without one, an over-long
        # name reaches authenticate() and the lockout log's column (an error on PostgreSQL).
        username.validators.append(MaxLengthValidator(username.max_length))
        username.error_messages["max_length"] = _(
            "Enter a username of %(limit_value)d characters or fewer."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template adds the form tag and ?next=
        self.helper.layout = Layout(
            Field("username"),
            Field("password"),
            Submit("sign_in", _("Sign in"), css_class="btn-primary"),
        )


class QueueFilterForm(ReviewerChoices, forms.Form):
    """The queue's filters, read from the query string so a filtered queue is a bookmark."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=254,
        help_text=_("A full reference (LI-XXXX-XXXX), an email address, or the exact full "
                    "name. Names and emails are stored encrypted, so part of a name or email "
                    "does not match."),
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false",
                                      "autocomplete": "off"}),
    )
    outcome = forms.ChoiceField(label=_("Automatic outcome"), required=False,
                                choices=ANY + OUTCOME_CHOICES)
    review_status = forms.ChoiceField(label=_("Review status"), required=False,
                                      choices=ANY + Submission.ReviewStatus.choices)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False, choices=ANY + STATE_CHOICES)
    country = forms.ChoiceField(
        label=_("Country answered"), required=False,
        choices=ANY + [(c.code, c.label) for c in eligibility.question("country").choices],
    )
    received_from = forms.DateField(label=_("Received from"), required=False,
                                    widget=DATE_WIDGET)
    received_to = forms.DateField(label=_("Received to"), required=False, widget=DATE_WIDGET)
    duplicate = forms.ChoiceField(
        label=_("Possible duplicate"), required=False,
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

    def filters(self) -> dict:
        """The valid filters only: one bad value must not hide the whole queue."""
        data = dict(self.cleaned_data) if self.is_bound else {}
        data["search"] = selectors.submission_search(text=data.get("q") or "")
        return data


class ReviewForm(forms.Form):
    review_status = forms.ChoiceField(label=_("Review status"))
    outcome_override = forms.ChoiceField(
        label=_("Outcome"), required=False,
        help_text=_("Leave on “Automatic” to keep the outcome the rules decided."),
    )
    override_reason = forms.CharField(
        label=_("Reason for changing the outcome"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you change the outcome. Kept with the change."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, submission: Submission, **kwargs):
        kwargs.setdefault("initial", {
            "review_status": submission.review_status,
            "outcome_override": submission.outcome_override,
            "override_reason": "",
            "version": submission.version,
        })
        super().__init__(*args, **kwargs)
        self.submission = submission
        allowed = {submission.review_status} | services.review_status_next(
            submission.review_status)
        self.fields["review_status"].choices = [
            (value, label) for value, label in Submission.ReviewStatus.choices
            if value in allowed
        ]
        labels = dict(OUTCOME_CHOICES)
        automatic = labels[submission.outcome]
        self.fields["outcome_override"].choices = [
            ("", _("Automatic (%(outcome)s)") % {"outcome": automatic}),
        ] + [(value, labels[value]) for value in services.OVERRIDE_OUTCOMES]

    def clean(self):
        data = super().clean()
        override = data.get("outcome_override", "")
        if override != self.submission.outcome_override and not (
                data.get("override_reason") or "").strip():
            self.add_error("override_reason", ValidationError(
                _("Write why you are changing the outcome; the reason is kept with the change."),
                code="override_reason_required",
            ))
        return data


class AssignForm(ReviewerChoices, forms.Form):
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, submission: Submission, reviewers, **kwargs):
        kwargs.setdefault("initial", {"assignee": submission.assignee_id,
                                      "version": submission.version})
        super().__init__(*args, **kwargs)
        self._offer_reviewers(reviewers, [("", _("Nobody"))])
        initial = self.initial.get("assignee")
        if hasattr(initial, "pk"):  # a user kept from a conflicting save
            self.initial["assignee"] = initial.pk

    def clean_assignee(self):
        """The chosen reviewer, or None for nobody."""
        return self.reviewers.get(self.cleaned_data["assignee"])


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen only by the firm's staff."),
        error_messages={"required": _("Write the note before adding it.")},
    )


class DuplicateForm(forms.Form):
    """Mark a submission as the duplicate of another; an empty reference clears the mark."""

    duplicate_of = forms.CharField(label=_("Duplicate of (reference)"), required=False,
                                   max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, submission: Submission, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission = submission

    def clean_duplicate_of(self):
        text = self.cleaned_data["duplicate_of"].strip()
        if not text:
            return None
        search = selectors.submission_search(text=text)
        other = None
        if search is not None and search.kind == "reference":
            other = Submission.objects.filter(search.condition).first()
        if other is None:
            raise ValidationError(
                _("No submission has the reference “%(reference)s”. Check it and try again."),
                code="unknown_reference", params={"reference": text},
            )
        return other


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
        label=_("Set status of selected to"), required=False,
        choices=Submission.ReviewStatus.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._offer_reviewers(reviewers, [("none", _("Nobody (unassign)"))])
        references = self.data.getlist("references") if self.is_bound else []
        self.fields["references"].choices = [(ref, ref) for ref in references]

    def clean_references(self):
        references = self.cleaned_data["references"]
        if len(references) > services.BULK_LIMIT:
            raise ValidationError(
                _("Select at most %(limit)d submissions at a time."), code="too_many",
                params={"limit": services.BULK_LIMIT},
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


class CaseForm(forms.ModelForm):
    """The case record as supervisors edit it; ``loaded_at`` catches a stale save."""

    loaded_at = forms.DateTimeField(widget=forms.HiddenInput)

    class Meta:
        model = Case
        fields = list(services.CASE_EDITABLE_FIELDS)
        widgets = {
            "status_note": forms.Textarea(attrs={"rows": 5}),
            "status_note_es": forms.Textarea(attrs={"rows": 5}),
            "registration_closed_message": forms.Textarea(attrs={"rows": 3}),
            "registration_closed_message_es": forms.Textarea(attrs={"rows": 3}),
            "sca_reference_date": DATE_WIDGET,
            "closed_on": DATE_WIDGET,
        }
        labels = {
            "status": _("Case status"),
            "status_note": _("Status note shown to the public"),
            "status_note_es": _("Status note in Spanish (optional)"),
            "registration_closed_message_es": _("Closed message in Spanish (optional)"),
            "registration_open": _("Registration is open"),
            "registration_closed_message": _("Message when registration is closed"),
            "sca_reference_date": _("SCA reference date"),
            "firm_name": _("Firm name"),
            "firm_email": _("Firm email"),
            "firm_phone": _("Firm phone"),
            "draft_retention_hours": _("Keep unfinished checks for (hours)"),
            "purge_after_days": _("Delete submissions after (days)"),
            "legal_hold": _("Legal hold (nothing is deleted while on)"),
            "closed_on": _("Case closed on"),
        }
        help_texts = {
            "registration_closed_message": _(
                "Shown instead of the registration form while registration is closed. The "
                "public check itself keeps working."),
            "purge_after_days": _("Counted from the case's closing date."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["loaded_at"] = self.instance.updated_at
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "case-form"
        self.helper.layout = Layout(
            Fieldset(_("Status"), "status", "status_note", "status_note_es"),
            Fieldset(_("Registration"), "registration_open", "registration_closed_message",
                     "registration_closed_message_es"),
            Fieldset(_("Time limit"), "sca_reference_date"),
            Fieldset(_("Firm contact"), "firm_name", "firm_email", "firm_phone"),
            Fieldset(_("Retention"), "draft_retention_hours", "purge_after_days",
                     "legal_hold", "closed_on"),
            Field("loaded_at"),
            Submit("save_case", _("Save case record"), css_class="btn-primary"),
        )

    def clean_status_note(self):
        note = self.cleaned_data["status_note"].strip()
        if not note:
            raise ValidationError(_("Write the status note the public sees."), code="required")
        return note

    def clean(self):
        data = super().clean()
        if data.get("registration_open") is False and not (
                data.get("registration_closed_message") or "").strip():
            self.add_error("registration_closed_message", ValidationError(
                _("Write the message people see while registration is closed."),
                code="closed_message_required",
            ))
        if data.get("draft_retention_hours") == 0:
            self.add_error("draft_retention_hours", ValidationError(
                _("Keep unfinished checks for at least 1 hour."), code="min_value"))
        return data


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.ModelChoiceField(label=_("Staff member"), required=False, queryset=None,
                                   empty_label=_("Anyone"))
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = ANY + list(selectors.AUDIT_ACTIONS.items())
        self.fields["actor"].queryset = get_user_model().objects.order_by("username")
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "audit-filters"
        self.helper.layout = Layout(
            Row(
                Column("action", css_class="col-12 col-md-3"),
                Column("actor", css_class="col-12 col-md-3"),
                Column("date_from", css_class="col-6 col-md-2"),
                Column("date_to", css_class="col-6 col-md-2"),
                Column(Submit("filter", _("Filter"), css_class="btn-primary mt-md-4"),
                       css_class="col-12 col-md-2"),
            ),
        )

    def filters(self) -> dict:
        return dict(self.cleaned_data) if self.is_bound else {}


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code"),
        min_length=6, max_length=8,
        help_text=_("From your authenticator app, for example 123 456."),
        error_messages={
            "required": _("Enter the 6-digit code from your authenticator app."),
            "min_length": _("Enter all 6 digits of the code."),
            "max_length": _("Enter only the 6 digits of the code."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("token"),
                                    Submit("verify", _("Verify"), css_class="btn-primary"))

    def clean_token(self):
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit() or len(token) != 6:
            raise ValidationError(_("Enter the 6 digits of the code, numbers only."),
                                  code="invalid_token")
        return token


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you deleting this person's data?"),
        max_length=1000,
        help_text=_("For example: “Asked by email on 3 March to delete their data.” The reason "
                    "is kept in the audit log."),
        error_messages={"required": _("Write why the data is being deleted.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("I understand the name, email, phone and notes will be deleted for good."),
        error_messages={"required": _("Tick the box to confirm the deletion.")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        reject_control_characters(reason, multiline=True)
        if not reason:
            raise ValidationError(_("Write why the data is being deleted."),
                                  code="reason_required")
        return reason
