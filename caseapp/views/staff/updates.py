"""Case updates to many registrants (Supervisors): compose in English and Spanish, choose the
audience with the queue's filters, see the count and a preview, send a test to yourself, send;
then follow the progress per recipient."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.mail import get_connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caseapp.local_time import date_element
from caseapp.models import Case, CaseUpdate, Message, Submission
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.messages import (
    case_update_by_id,
    case_updates_recent,
    update_progress,
    update_recipients_page,
)
from caseapp.services.audit import audit_record
from caseapp.services.email import Composed, email_build, message_compose
from caseapp.services.submits import CASE_UPDATE, submit_token_new, submit_token_result
from caseapp.services.updates import (
    AUDIENCE_FILTERS,
    INCLUDE_DUPLICATES,
    update_audience,
    update_cancel,
    update_resume,
    update_send,
)
from caseapp.validators import NO_NULLS, reject_control_characters
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue_forms import QueueFilterForm, audience_form

PERMISSION = "caseapp.bulk_update_submission"  # Supervisors: an update is a bulk action


class UpdateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject (English)"), max_length=200,
                              error_messages={"required": gettext_lazy("Write a subject."),
                                              **NO_NULLS})
    body = forms.CharField(label=gettext_lazy("Message (English)"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"required": gettext_lazy("Write the message."),
                                           **NO_NULLS})
    subject_es = forms.CharField(
        label=gettext_lazy("Subject (Spanish)"), max_length=200,
        error_messages={"required": gettext_lazy("Write the subject in Spanish too: people "
                                                 "who registered in Spanish read this one."),
                        **NO_NULLS})
    body_es = forms.CharField(
        label=gettext_lazy("Message (Spanish)"), max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Write the message in Spanish too."),
                        **NO_NULLS})
    include_duplicates = forms.BooleanField(
        label=gettext_lazy("Also send to registrations marked as duplicates"), required=False,
        help_text=gettext_lazy("Withdrawn and erased registrations never get updates; each "
                               "address gets one message however often it registered."))
    #: The count the supervisor saw in the preview: sending checks it is still the count.
    expected_count = forms.IntegerField(required=False, widget=forms.HiddenInput)
    #: The form's one-time token: a second send of it shows the update the first one made.
    submit_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    TEXT_FIELDS = ("subject", "body", "subject_es", "body_es")

    def clean(self):
        data = super().clean()
        for field in self.TEXT_FIELDS:
            if data.get(field):
                data[field] = data[field].strip()
                try:
                    reject_control_characters(data[field], multiline=field.startswith("body"))
                except forms.ValidationError as error:
                    self.add_error(field, error)
        return data



def _audience(form: UpdateForm, audience_form) -> dict:
    """The filters chosen (under the queue's names) and the duplicates choice."""
    audience = {key: audience_form.cleaned_data.get(key) for key in AUDIENCE_FILTERS
                if audience_form.cleaned_data.get(key)}
    if form.cleaned_data.get("include_duplicates"):
        audience[INCLUDE_DUPLICATES] = True
    return audience


def _audience_value(field: forms.Field, value) -> str:
    if isinstance(field, forms.DateField):  # stored as ISO text; read as the reader writes it
        try:
            return date_element(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(dict(getattr(field, "choices", ())).get(value, value))


def _audience_labels(audience: dict) -> list[tuple[str, str]]:
    """The audience an update was sent to, as the forms' labels and choices name it."""
    fields = {**QueueFilterForm.base_fields,
              INCLUDE_DUPLICATES: UpdateForm.base_fields["include_duplicates"]}
    return [(str(fields[key].label), _audience_value(fields[key], value))
            for key, value in audience.items() if key in fields]


def _preview(case: Case, data: dict, language: str) -> Composed:
    update = CaseUpdate(subject=data["subject"], body=data["body"],
                        subject_es=data["subject_es"], body_es=data["body_es"])
    sample = Submission(case=case, reference="LI-7K3M-Q9XP", language=language)
    sample.pk = 0
    return message_compose(message=Message(
        kind=Message.Kind.UPDATE, update=update, submission=sample, language=language))


@staff_view(PERMISSION)
@require_GET
def updates(request: HttpRequest) -> HttpResponse:
    return render(request, "caseapp/staff/updates.html", {
        "updates": case_updates_recent(), "nav": "updates",
    })


@staff_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def update_new(request: HttpRequest) -> HttpResponse:
    """Write, count and preview, test, send. The audience comes in the query string from a
    filtered queue ("Send an update to these"), under the queue's names."""
    case = case_for_request(request)
    if request.method == "POST":
        form, audience_filters = UpdateForm(request.POST), audience_form(request.POST)
    else:
        initial = {"submit_token": submit_token_new()}
        if request.GET.get("from") == "case-status":
            # Offered after a status change on the case record: start from the public note.
            initial.update({"subject": _("News about the case: %(status)s")
                            % {"status": case.get_status_display()},
                            "body": case.status_text("en"),
                            "subject_es": "Novedades sobre el caso",
                            "body_es": case.status_text("es")})
        form, audience_filters = UpdateForm(initial=initial), audience_form(request.GET)
    context = {"form": form, "audience_form": audience_filters, "count": None, "previews": [],
               "nav": "updates"}
    if request.method == "GET":
        return render(request, "caseapp/staff/update_new.html", context)
    if not (form.is_valid() and audience_filters.is_valid()):
        return render(request, "caseapp/staff/update_new.html", context, status=400)
    token = form.cleaned_data["submit_token"]
    if "send" in request.POST and (
            sent_id := submit_token_result(action=CASE_UPDATE, key=token)) is not None:
        messages.info(request, _("This update was sent already; here it is. Nobody was sent "
                                 "it twice."))
        return redirect("staff:update", sent_id)
    audience = _audience(form, audience_filters)
    count = update_audience(audience=audience, case=case, user=request.user).count()
    context["count"] = count
    if "send" in request.POST:
        if count == 0:
            # An update to nobody would be listed as sent ("Done", 0 recipients).
            messages.error(request, _("Nobody matches these filters: nothing was sent."))
        elif form.cleaned_data.get("expected_count") != count:
            messages.error(request, _("Check the count and the preview before sending: "
                                      "the audience is now %(count)s people.")
                           % {"count": count})
        else:
            update = update_send(case=case, actor=request.user, audience=audience,
                                 request=request, submit_token=token,
                                 **{f: form.cleaned_data[f] for f in form.TEXT_FIELDS})
            messages.success(request, _("The update is being sent."))
            return redirect("staff:update", update.pk)
    elif "test" in request.POST:
        _send_test(request, case, form.cleaned_data)
    form.data = form.data.copy()
    form.data["expected_count"] = count
    context["previews"] = [(_("English"), _preview(case, form.cleaned_data, "en")),
                           (_("Spanish"), _preview(case, form.cleaned_data, "es"))]
    return render(request, "caseapp/staff/update_new.html", context)


def _send_test(request: HttpRequest, case: Case, data: dict) -> None:
    """Both languages to the supervisor's own address, at once (no queue: they are waiting)."""
    address = request.user.email
    if not address:
        messages.error(request, _("Your staff account has no email address to send a test "
                                  "to. Ask an administrator to add one."))
        return
    emails = []
    for language in ("en", "es"):
        composed = _preview(case, data, language)
        composed = Composed(subject=f"[TEST] {composed.subject}", text=composed.text,
                                      html=composed.html)
        emails.append(email_build(composed, to=address, case=case, headers={}))
    try:
        get_connection(timeout=settings.EMAIL_TIMEOUT).send_messages(emails)
    except OSError as error:
        messages.error(request, _("The test could not be sent: %(error)s") % {"error": error})
        return
    audit_record(actor=request.user, action="case_update.test", request=request)
    messages.success(request, _("Test sent to %(address)s, in English and Spanish.")
                     % {"address": address})


def _update_or_404(update_id: int) -> CaseUpdate:
    update = case_update_by_id(update_id=update_id)
    if update is None:
        raise Http404
    return update


@staff_view(PERMISSION)
@require_GET
def update_detail(request: HttpRequest, update_id: int) -> HttpResponse:
    update = _update_or_404(update_id)
    progress = update_progress(update=update)
    status_filter = request.GET.get("status", "")
    if status_filter not in Message.Status.values:
        status_filter = ""
    after = request.GET.get("after", "0")
    rows = update_recipients_page(update=update, status=status_filter,
                                  after=int(after) if after.isdigit() else 0)
    done = sum(progress[s] for s in ("sent", "failed", "unknown", "cancelled"))
    return render(request, "caseapp/staff/update_detail.html", {
        "update": update, "audience": _audience_labels(update.audience),
        "progress": progress, "rows": rows,
        "statuses": Message.Status.choices, "status_filter": status_filter,
        "percent": round(100 * done / update.recipients) if update.recipients else 100,
        "next_after": rows[-1].pk if len(rows) == 100 else None, "nav": "updates",
    })


@staff_view(PERMISSION)
@require_POST
def update_action(request: HttpRequest, update_id: int) -> HttpResponse:
    update = _update_or_404(update_id)
    if "cancel" in request.POST:
        cancelled = update_cancel(update=update, actor=request.user, request=request)
        messages.success(request, _("Update cancelled: %(count)s messages will not be sent.")
                         % {"count": cancelled})
    elif "resume" in request.POST:
        lanes = update_resume(update=update)
        messages.success(request, _("Sending resumed (%(lanes)s delivery lanes).")
                         % {"lanes": lanes})
    return redirect(reverse("staff:update", args=[update.pk]))
