"""Writing to one registrant from their submission's page (from an editable template, with a
preview), resending a message, and editing the templates."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from caseapp.models import Message, MessageTemplate, Submission
from caseapp.selectors.messages import message_template, message_templates, submission_message
from caseapp.services.email import Composed, message_compose
from caseapp.services.staff_messages import (
    message_resend,
    message_send_staff,
    message_template_save,
)
from caseapp.services.submits import (
    RESEND,
    STAFF_MESSAGE,
    submit_token_new,
    submit_token_result,
)
from caseapp.validators import NO_NULLS, reject_control_characters
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.form_fields import SpanishRequired
from caseapp.views.staff.submission import submission_or_404

#: The templates' "[Write what …]" gaps: a message must not go out with one left in.
PLACEHOLDER = re.compile(r"\[(Write|Escriba)[^\]]*\]")


class StaffMessageForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200,
                              error_messages={"required": gettext_lazy("Write a subject."),
                                              **NO_NULLS})
    body = forms.CharField(label=gettext_lazy("Message"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 10}),
                           help_text=gettext_lazy(
                               "The email adds the person's reference and the firm's contact "
                               "details; replies go to the firm's address."),
                           error_messages={"required": gettext_lazy("Write the message."),
                                           **NO_NULLS})
    #: The form's one-time token: a second send of it (a double click) sends nothing more.
    submit_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean_subject(self):
        subject = self.cleaned_data["subject"].strip()
        reject_control_characters(subject)
        return subject

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        reject_control_characters(body, multiline=True)
        if PLACEHOLDER.search(body):
            raise ValidationError(gettext_lazy(
                "Replace the text in [square brackets] with what you want to say."),
                code="placeholder")
        return body



def _preview(submission: Submission, subject: str, body: str) -> Composed:
    draft = Message(kind=Message.Kind.STAFF, submission=submission,
                    language=submission.language, subject=subject, body=body)
    return message_compose(message=draft)


@staff_view("caseapp.review_submission")
@require_http_methods(["GET", "POST"])
def message_write(request: HttpRequest, reference: str) -> HttpResponse:
    submission = submission_or_404(reference)
    template = message_template(key=request.GET.get("template", ""))
    initial = {"submit_token": submit_token_new()}
    if template is not None:
        initial.update({field: template.in_language(field, submission.language)
                        for field in ("subject", "body")})
    form = StaffMessageForm(request.POST or None, initial=initial)
    preview = None
    status = 200
    if request.method == "POST" and form.is_valid():
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        token = form.cleaned_data["submit_token"]
        if "send" in request.POST and submit_token_result(action=STAFF_MESSAGE, key=token):
            messages.info(request, _("This message was sent already: it is in the list of "
                                     "messages below, once."))
            return redirect(reverse("staff:submission", args=[reference]) + "#messages")
        if "send" in request.POST:
            try:
                message_send_staff(submission=submission, actor=request.user, subject=subject,
                                   body=body, request=request, submit_token=token)
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("Message queued. Its status is in the list of "
                                            "messages below."))
                return redirect(reverse("staff:submission", args=[reference]) + "#messages")
        else:
            preview = _preview(submission, subject, body)
    return render(request, "caseapp/staff/message_write.html", {
        "submission": submission, "form": form, "preview": preview,
        "templates": message_templates(), "template": template,
        "language_label": (_("Spanish") if submission.language.startswith("es")
                           else _("English")),
        "nav": "queue",
    }, status=status)


@staff_view("caseapp.review_submission")
@require_POST
def message_resend_view(request: HttpRequest, reference: str, message_id: int) -> HttpResponse:
    submission = submission_or_404(reference)
    message = submission_message(submission=submission, message_id=message_id)
    if message is None:
        raise Http404
    token = request.POST.get("submit_token", "")[:64]
    if token and submit_token_result(action=RESEND, key=f"{token[:43]}:{message.pk}"):
        messages.info(request, _("This message was queued again already."))
        return redirect(reverse("staff:submission", args=[reference]) + "#messages")
    try:
        message_resend(message=message, actor=request.user, request=request,
                       submit_token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Message queued again."))
    return redirect(reverse("staff:submission", args=[reference]) + "#messages")


class MessageTemplateForm(SpanishRequired, forms.ModelForm):
    SPANISH_PAIRS = ("subject", "body")

    class Meta:
        model = MessageTemplate
        fields = ["name", "subject", "body", "subject_es", "body_es"]
        labels = {"subject_es": gettext_lazy("Subject (Spanish)"),
                  "body_es": gettext_lazy("Message (Spanish)")}
        widgets = {"body": forms.Textarea(attrs={"rows": 6}),
                   "body_es": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._require_spanish()

    def clean(self):
        data = super().clean()
        self._check_spanish(data)
        return data


@staff_view("caseapp.change_case")
@require_http_methods(["GET", "POST"])
def message_templates_edit(request: HttpRequest) -> HttpResponse:
    """Supervisors keep the starting texts reviewers write from."""
    templates = message_templates()
    forms_by_key = {t.key: MessageTemplateForm(prefix=t.key, instance=t) for t in templates}
    status = 200
    if request.method == "POST":
        key = request.POST.get("template", "")
        current = next((t for t in templates if t.key == key), None)
        if current is None:
            raise Http404
        form = MessageTemplateForm(request.POST, prefix=key, instance=current)
        if form.is_valid():
            message_template_save(template=current, actor=request.user, request=request,
                                  **form.cleaned_data)
            messages.success(request, _("Template saved."))
            return redirect("staff:message_templates")
        forms_by_key[key] = form
        status = 400
    return render(request, "caseapp/staff/message_templates.html", {
        "forms": list(forms_by_key.items()), "nav": "updates",
    }, status=status)
