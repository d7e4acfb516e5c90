"""Requests for information: a reviewer asks one person; supervisors keep the reasons."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from caseapp import review_rules
from caseapp.models import InfoRequestReason
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.info_requests import reasons_all, reasons_offered, request_candidates
from caseapp.services.concurrency import StaleEditError
from caseapp.services.info_requests import (
    info_request_open,
    info_request_reason_save,
    info_request_reply_by,
    info_request_send,
    info_request_send_bulk,
)
from caseapp.services.review import BULK_LIMIT, refusal_message
from caseapp.services.submits import submit_token_new
from caseapp.validators import reject_control_characters
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue import bulk_refusals_show
from caseapp.views.staff.queue_forms import queue_return_url, queue_url_for
from caseapp.views.staff.submission import CONFLICT_MESSAGE, submission_or_404
from caseapp.views.staff.work_queue import (
    in_work_queue,
    neighbours_in_queue,
    submission_url_in_queue,
)

#: Who keeps the reasons: the same people who keep the message templates (Supervisors).
REASONS_PERMISSION = "caseapp.change_case"


class RequestFields(forms.Form):
    """What is asked: reasons from the supervisors' list, and a note; one person or many."""

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = reasons_offered()

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        reject_control_characters(note, multiline=True)
        return note


class InfoRequestForm(RequestFields):
    version = forms.IntegerField(widget=forms.HiddenInput)
    again = forms.BooleanField(
        label=gettext_lazy("Yes, email the person another request"), required=False)

    def __init__(self, *args, waiting=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A request still waiting for an answer: another one is a second email, so it is
        # sent only when asked for (a reviewer who went back and sent the form again, once
        # the first had gone, emailed the person twice).
        self.waiting = waiting
        self.fields["again"].required = waiting is not None
        self.fields["again"].error_messages["required"] = gettext_lazy(
            "The person was already asked and has not answered yet. Tick the box to email "
            "them another request, or go back to the submission.")


class BulkInfoRequestForm(RequestFields):
    """The same request to each selected person; the token makes a double submit one send."""

    references = forms.MultipleChoiceField(error_messages={
        "required": gettext_lazy("Select at least one submission.")})
    submit_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, references: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["references"].choices = [(ref, ref) for ref in references]


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


@staff_view("caseapp.bulk_update_submission")
@require_POST
def bulk_info_request(request: HttpRequest) -> HttpResponse:
    """The queue's "Ask for information": the request form for the selected rows, then (sent)
    one request and one email to each person it can ask; the rest are named and left."""
    back = queue_return_url(request.POST.get("next", ""), request)
    references = list(dict.fromkeys(request.POST.getlist("references")))
    if not references or len(references) > BULK_LIMIT:
        messages.error(request, _("Select at least one submission.") if not references else
                       _("Select at most %(limit)d submissions at a time.")
                       % {"limit": BULK_LIMIT})
        return redirect(back)
    sending = "send_request" in request.POST
    form = BulkInfoRequestForm(request.POST if sending else None, references=references,
                               initial={"submit_token": submit_token_new()})
    status = 200
    if sending and form.is_valid():
        data = form.cleaned_data
        try:
            result, sent = info_request_send_bulk(
                actor=request.user, references=data["references"],
                reasons=list(data["reasons"]), note=data["note"],
                submit_token=data["submit_token"], request=request)
        except ValidationError as error:
            form.add_error(None, error)
            status = 400
        else:
            if not sent:
                messages.info(request, _("These requests were sent already; nothing was sent "
                                         "again."))
            elif result.changed:
                messages.success(request, ngettext(
                    "A request for information was sent to %(n)d person: %(references)s.",
                    "A request for information was sent to %(n)d people, one email each: "
                    "%(references)s.", len(result.changed),
                ) % {"n": len(result.changed), "references": ", ".join(result.changed)})
            bulk_refusals_show(request, result)
            return redirect(back)
    elif sending:
        status = 400
    rows = request_candidates(references=references)
    asked, left_out = [], []
    for row in rows:
        code = review_rules.request_refusal(status=row.review_status,
                                            erased=row.personal_data_erased_at is not None)
        if code is None:
            asked.append(row.reference)
        else:
            left_out.append((row.reference, refusal_message(code)))
    return render(request, "caseapp/staff/info_request_bulk.html", {
        "form": form, "asked": asked, "left_out": left_out, "next": back, "nav": "queue",
        "reasons_offered": form.fields["reasons"].queryset.exists(),
        "reply_by": info_request_reply_by(case=case_for_request(request)),
        "send_label": ngettext("Send request to %(n)d person", "Send request to %(n)d people",
                               len(asked)) % {"n": len(asked)},
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
    editing = get_object_or_404(reasons_all(), pk=reason_id) if reason_id else None
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
        "reasons": reasons_all(), "form": form, "editing": editing,
        "nav": "updates", "wq": "",
    }, status=status)
