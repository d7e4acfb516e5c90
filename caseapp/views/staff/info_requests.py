"""Requests for information: a reviewer asks one person; supervisors keep the reasons."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from caseapp.models import InfoRequestReason
from caseapp.selectors.case_record import case_for_request
from caseapp.services.concurrency import StaleEditError
from caseapp.services.info_requests import (
    info_request_open,
    info_request_reason_save,
    info_request_reply_by,
    info_request_send,
)
from caseapp.validators import reject_control_characters
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue_forms import queue_url_for
from caseapp.views.staff.submission import CONFLICT_MESSAGE, submission_or_404
from caseapp.views.staff.work_queue import (
    in_work_queue,
    neighbours_in_queue,
    submission_url_in_queue,
)

#: Who keeps the reasons: the same people who keep the message templates (Supervisors).
REASONS_PERMISSION = "caseapp.change_case"


class InfoRequestForm(forms.Form):
    reasons = forms.ModelMultipleChoiceField(
        label=gettext_lazy("What does the person need to send?"),
        queryset=InfoRequestReason.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy(
            "Choose at least one thing the person needs to send.")},
    )
    note = forms.CharField(
        label=gettext_lazy("A note to the person (optional)"), required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The person reads it in the email, as you write it. Kept "
                               "encrypted."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    again = forms.BooleanField(
        label=gettext_lazy("Yes, email the person another request"), required=False)

    def __init__(self, *args, waiting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = InfoRequestReason.objects.filter(active=True)
        # A request still waiting for an answer: another one is a second email, so it is
        # sent only when asked for (a reviewer who went back and sent the form again, once
        # the first had gone, emailed the person twice).
        self.waiting = waiting
        self.fields["again"].required = waiting is not None
        self.fields["again"].error_messages["required"] = gettext_lazy(
            "The person was already asked and has not answered yet. Tick the box to email "
            "them another request, or go back to the submission.")

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        reject_control_characters(note, multiline=True)
        return note


@staff_view("caseapp.review_submission")
@require_http_methods(["GET", "POST"])
def info_request_new(request: HttpRequest, reference: str) -> HttpResponse:
    """The request form the "Needs information" button leads to."""
    submission = submission_or_404(reference)
    form = InfoRequestForm(request.POST or None, initial={"version": submission.version},
                           waiting=info_request_open(submission=submission))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            info_request_send(
                submission=submission, actor=request.user,
                expected_version=form.cleaned_data["version"],
                reasons=list(form.cleaned_data["reasons"]), note=form.cleaned_data["note"],
                request=request)
        except StaleEditError:
            messages.error(request, CONFLICT_MESSAGE)
            form = InfoRequestForm(initial={**form.cleaned_data,
                                            "version": submission_or_404(reference).version},
                                   waiting=form.waiting)
            status = 409
        except ValidationError as error:
            form.add_error(None, error)
            status = 400
        else:
            messages.success(request, _("%(reference)s: the request was sent to the person.")
                             % {"reference": reference})
            if in_work_queue(request) and request.GET.get("then") == "next":
                (following,) = neighbours_in_queue(request, submission)
                if following is None:
                    messages.info(request, _("That was the last submission in this queue."))
                    return redirect(queue_url_for(request.GET))
                return redirect(submission_url_in_queue(following.reference, request.GET))
            if in_work_queue(request):
                return redirect(submission_url_in_queue(reference, request.GET))
            return redirect("staff:submission", reference=reference)
    elif request.method == "POST":
        status = 400
    query = request.GET.urlencode()
    return render(request, "caseapp/staff/info_request_new.html", {
        "submission": submission, "form": form, "nav": "queue",
        "reasons_offered": form.fields["reasons"].queryset.exists(),
        "reply_by": info_request_reply_by(case=case_for_request(request)),
        "action": reverse("staff:info_request", args=[reference]) + (f"?{query}" if query
                                                                        else ""),
        "back_url": (submission_url_in_queue(reference, request.GET) if in_work_queue(request)
                     else reverse("staff:submission", args=[reference])),
    }, status=status)


class ReasonForm(forms.ModelForm):
    class Meta:
        model = InfoRequestReason
        fields = ["name", "public_text", "public_text_es", "active"]
        widgets = {"public_text": forms.Textarea(attrs={"rows": 3}),
                   "public_text_es": forms.Textarea(attrs={"rows": 3})}


@staff_view(REASONS_PERMISSION)
@require_http_methods(["GET", "POST"])
def reasons(request: HttpRequest, reason_id: int | None = None) -> HttpResponse:
    """The reasons reviewers can ask for: add one, edit one, disable one (never delete, so
    past requests keep their wording)."""
    editing = get_object_or_404(InfoRequestReason, pk=reason_id) if reason_id else None
    form = ReasonForm(request.POST or None, instance=editing)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                info_request_reason_save(reason=editing, actor=request.user, request=request,
                                         **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Reason saved."))
                return redirect("staff:info_request_reasons")
        status = 400
    return render(request, "caseapp/staff/info_request_reasons.html", {
        "reasons": InfoRequestReason.objects.all(), "form": form, "editing": editing,
        "nav": "updates", "wq": "",
    }, status=status)
