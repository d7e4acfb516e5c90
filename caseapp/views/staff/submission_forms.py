"""The forms on a submission's page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from caseapp.models import OUTCOME_CHOICES, Submission
from caseapp.references import reference_parse
from caseapp.review_rules import (
    ACCEPTED,
    DECISIONS,
    OVERRIDE_OUTCOMES,
    REQUEST_DECISIONS,
    next_statuses,
)
from caseapp.selectors.submission import submission_by_reference
from caseapp.services.privacy import ERASURE_REASONS
from caseapp.validators import reject_control_characters
from caseapp.views.staff.form_fields import ReviewerChoices


class ReviewForm(forms.Form):
    review_status = forms.ChoiceField(label=_("Review status"))
    outcome_override = forms.ChoiceField(
        label=_("Outcome"), required=False,
        help_text=_("Leave on “Automatic” to keep the outcome the rules decided."),
    )
    override_reason = forms.CharField(
        label=_("Reason for the change"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you change the outcome or reject someone the rules did "
                    "not find ineligible. Kept with the change."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, submission: Submission, **kwargs):
        kwargs.setdefault("initial", {
            "review_status": submission.review_status,
            "outcome_override": submission.outcome_override,
            "override_reason": "",
            "version": submission.version,
        })
        # Its own ids: the page's decision form has a "version" field too (one id_version).
        kwargs.setdefault("auto_id", "review-%s")
        super().__init__(*args, **kwargs)
        self.submission = submission
        # "Needs information" is a request to the person, made on its own form (the
        # "Needs information" button), never a status chosen here.
        allowed = {submission.review_status} | (next_statuses(
            submission.review_status) - REQUEST_DECISIONS)
        self.fields["review_status"].choices = [
            (value, label) for value, label in Submission.ReviewStatus.choices
            if value in allowed
        ]
        labels = dict(OUTCOME_CHOICES)
        automatic = labels[submission.outcome]
        self.fields["outcome_override"].choices = [
            ("", _("Automatic (%(outcome)s)") % {"outcome": automatic}),
        ] + [(value, labels[value]) for value in OVERRIDE_OUTCOMES]

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


class DecisionForm(forms.Form):
    """One-step decisions; a button's value is the decision, with ":next" for "… and next".
    ``accepted_eligible`` is the confirmation that accepting one the rules left open means
    accepting it as eligible."""

    AS_ELIGIBLE = "accepted_eligible"
    BUTTONS = [(f"{decision}{then}", decision) for decision in (*DECISIONS, AS_ELIGIBLE)
               for then in ("", ":next")]

    decision = forms.ChoiceField(choices=BUTTONS)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to reject someone the rules did not find ineligible. Kept on the "
                    "timeline. To ask the person for information, use “Needs information”."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        reject_control_characters(reason, multiline=True)
        return reason

    def clean(self):
        data = super().clean()
        decision, _sep, then = (data.get("decision") or "").partition(":")
        data["as_eligible"] = decision == self.AS_ELIGIBLE
        data["decision"] = ACCEPTED if data["as_eligible"] else decision
        data["then_next"] = then == "next"
        return data


class AssignForm(ReviewerChoices, forms.Form):
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, submission: Submission, reviewers, **kwargs):
        kwargs.setdefault("initial", {"assignee": submission.assignee_id,
                                      "version": submission.version})
        kwargs.setdefault("auto_id", "assign-%s")
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
        reference = reference_parse(text)
        other = submission_by_reference(reference=reference) if reference else None
        if other is None:
            raise ValidationError(
                _("No submission has the reference “%(reference)s”. Check it and try again."),
                code="unknown_reference", params={"reference": text},
            )
        return other


class EraseForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Why are you deleting this person's data?"),
        choices=[("", _("Choose a reason")), *ERASURE_REASONS.items()],
        error_messages={"required": _("Choose why the data is being deleted.")},
    )
    note = forms.CharField(
        label=_("More detail (optional unless you chose another reason)"),
        max_length=1000, required=False,
        help_text=_("For example: “Asked by email on 3 March.” Kept in the audit log, "
                    "encrypted."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("I understand the name, email, phone and notes will be deleted for good."),
        error_messages={"required": _("Tick the box to confirm the deletion.")},
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        reject_control_characters(note, multiline=True)
        return note

    def clean(self):
        data = super().clean()
        if data.get("category") == "other" and not data.get("note"):
            self.add_error("note", ValidationError(
                _("Write why the data is being deleted."), code="reason_required"))
        return data
