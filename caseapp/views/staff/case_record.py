"""The case record as supervisors edit it."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Fieldset, Layout, Submit
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from caseapp.local_time import long_date
from caseapp.models import Case
from caseapp.selectors.case_record import case_for_request
from caseapp.services.case_record import CASE_EDITABLE_FIELDS, case_update
from caseapp.services.concurrency import StaleEditError
from caseapp.validators import DATE_RANGE_MESSAGE, DATE_RANGE_VALIDATORS
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.form_fields import DATE_WIDGET, SpanishRequired

#: One English and one Spanish text per case status, in the order of the status choices.
STATUS_TEXT_FIELDS = [f"{Case.status_text_field(status)}{suffix}"
                      for status in Case.Status.values for suffix in ("", "_es")]
STATUS_TEXT_LABELS = {
    f"{Case.status_text_field(status)}{suffix}": format_lazy(
        template, status=label)
    for status, label in Case.Status.choices
    for suffix, template in (("", _("“{status}”, in English")),
                             ("_es", _("“{status}”, in Spanish")))
}


class CaseForm(SpanishRequired, forms.ModelForm):
    """The case record as supervisors edit it; ``loaded_at`` catches a stale save."""

    SPANISH_PAIRS = ("status_note", "registration_closed_message")

    loaded_at = forms.DateTimeField(widget=forms.HiddenInput)

    class Meta:
        model = Case
        fields = list(CASE_EDITABLE_FIELDS)
        widgets = {
            "status_note": forms.Textarea(attrs={"rows": 4}),
            "status_note_es": forms.Textarea(attrs={"rows": 4}),
            **{field: forms.Textarea(attrs={"rows": 3}) for field in STATUS_TEXT_FIELDS},
            "registration_closed_message": forms.Textarea(attrs={"rows": 3}),
            "registration_closed_message_es": forms.Textarea(attrs={"rows": 3}),
            "firm_address": forms.Textarea(attrs={"rows": 3}),
            "sca_reference_date": DATE_WIDGET,
            "closed_on": DATE_WIDGET,
            "status_changed_on": DATE_WIDGET,
            "docket_checked_on": DATE_WIDGET,
        }
        labels = {
            "status": _("Case status"),
            "status_changed_on": _("Date of the status event (e.g. the dismissal)"),
            "docket_checked_on": _("Docket last checked on"),
            **STATUS_TEXT_LABELS,
            "status_note": _("More about where the case stands (start page)"),
            "status_note_es": _("The same in Spanish"),
            "registration_closed_message_es": _("Closed message in Spanish"),
            "registration_open": _("Registration is open"),
            "registration_closed_message": _("Message when registration is closed"),
            "sca_reference_date": _("SCA reference date"),
            "firm_name": _("Firm name"),
            "firm_address": _("Firm postal address"),
            "firm_email": _("Firm email"),
            "firm_phone": _("Firm phone"),
            "firm_attorney": _("Responsible attorney"),
            "firm_bar_states": _("Attorney admitted in (state or states)"),
            "advertising_label": _("Show the “Attorney advertising” label"),
            "firm_is_example": _("This is a made-up example firm (marked on every page; the "
                                 "public pages stay closed in production)"),
            "draft_retention_hours": _("Keep unfinished checks for (hours)"),
            "purge_after_days": _("Delete submissions after (days)"),
            "info_reply_days": _("Days a person has to answer a request for information"),
            "legal_hold": _("Legal hold (nothing is deleted while on)"),
            "closed_on": _("Case closed on"),
        }
        help_texts = {
            "registration_closed_message": _(
                "Shown instead of the registration form while registration is closed. The "
                "public check itself keeps working."),
            "purge_after_days": _("Counted from the case's closing date."),
            "firm_name": _("In production the public pages show “not open yet” until the "
                           "firm's name, postal address, email, responsible attorney and "
                           "bar state(s) are filled in."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["loaded_at"] = self.instance.updated_at
        for name in ("sca_reference_date", "closed_on", "status_changed_on",
                     "docket_checked_on"):
            self.fields[name].validators += DATE_RANGE_VALIDATORS
            self.fields[name].error_messages["invalid"] = DATE_RANGE_MESSAGE
        # Days and hours added to a date must stay within Python's calendar (year 9999).
        self.fields["purge_after_days"].validators.append(MaxValueValidator(
            36500, message=_("Enter a number of days up to 36500 (100 years).")))
        self.fields["draft_retention_hours"].validators.append(MaxValueValidator(
            8760, message=_("Enter a number of hours up to 8760 (one year).")))
        self.fields["info_reply_days"].validators += [
            MinValueValidator(1, message=_("Give the person at least one day.")),
            MaxValueValidator(365, message=_("Enter a number of days up to 365."))]
        for field in STATUS_TEXT_FIELDS:
            self.fields[field].error_messages["required"] = _(
                "Write what the public pages say for this status, in English and Spanish.")
        self._require_spanish()
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "case-form"
        self.helper.layout = Layout(
            Fieldset(_("Status"), "status", "status_changed_on", "docket_checked_on",
                     "status_note", "status_note_es"),
            Fieldset(_("What the public pages say for each status"), *STATUS_TEXT_FIELDS),
            Fieldset(_("Registration"), "registration_open", "registration_closed_message",
                     "registration_closed_message_es"),
            Fieldset(_("Time limit"), "sca_reference_date"),
            Fieldset(_("Requests for information"), "info_reply_days"),
            Fieldset(_("The firm (shown on every public page)"), "firm_name", "firm_address",
                     "firm_email", "firm_phone", "firm_attorney", "firm_bar_states",
                     "advertising_label", "firm_is_example"),
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
        self._check_spanish(data)
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


def public_status(case: Case, language: str) -> dict:
    """What the start page says under a status, in one language: the status with its date (the
    banner), the status's wording, and the note below it; all three change with a status."""
    with translation.override(language):
        status = str(case.get_status_display())
        line = (translation.gettext("%(status)s on %(date)s.") % {
            "status": status, "date": long_date(case.status_changed_on)}
            if case.status_changed_on else f"{status}.")
    return {"line": line, "text": case.status_text(language),
            "note": case.in_language("status_note", language)}


@staff_view("caseapp.change_case")
@require_http_methods(["GET", "POST"])
def case_record(request: HttpRequest) -> HttpResponse:
    case = case_for_request(request)
    status = 200
    status_before = case.status
    # The form writes into this same object: what the status came with, before it does.
    date_before, note_before = case.status_changed_on, (case.status_note, case.status_note_es)
    if request.method == "POST":
        form = CaseForm(request.POST, instance=case_for_request(request))
        if form.is_valid() and form.cleaned_data["status"] != status_before \
                and "confirm_status" not in request.POST:
            # A new status first shows what the public pages will say for it, in both
            # languages (the start page once read "Refiled … We have found no refiled case").
            preview = form.instance
            return render(request, "caseapp/staff/case.html", {
                "form": form, "case_saved": case, "conflict": False, "nav": "case",
                "status_preview": {
                    "label": preview.get_status_display(), "rows": [
                        ("en", _("English"), public_status(preview, "en")),
                        ("es", _("Spanish"), public_status(preview, "es"))],
                    "same_date": preview.status_changed_on == date_before,
                    "same_note": (preview.status_note, preview.status_note_es) == note_before},
            })
        if form.is_valid():
            changes = {field: form.cleaned_data[field] for field in form.Meta.fields}
            try:
                case_update(case=case, actor=request.user,
                            expected_updated_at=form.cleaned_data["loaded_at"],
                            changes=changes, request=request)
            except StaleEditError as error:
                messages.error(request, _(
                    "Someone else saved the case record while you were editing, so your "
                    "changes were not saved. The form still shows what you entered; the "
                    "current saved values are listed above it. Check them and save again."))
                current = error.current
                form = CaseForm(initial={**changes, "loaded_at": current.updated_at},
                                instance=current)
                return render(request, "caseapp/staff/case.html", {
                    "form": form, "case_saved": current, "conflict": True, "nav": "case",
                    "status_preview": None,
                }, status=409)
            messages.success(request, _("Case record saved. The public pages show it now."))
            if changes["status"] != status_before and request.user.has_perm(
                    "caseapp.bulk_update_submission"):
                messages.info(request, format_html(
                    '{} <a href="{}?from=case-status">{}</a>',
                    _("The case status changed. Registrants are not told unless you send "
                      "them an update."),
                    reverse("staff:update_new"), _("Write a case update about it")))
            return redirect("staff:case")
    else:
        form = CaseForm(instance=case)
    return render(request, "caseapp/staff/case.html", {
        "form": form, "case_saved": case, "conflict": False, "nav": "case",
        "status_preview": None,
    }, status=status)
