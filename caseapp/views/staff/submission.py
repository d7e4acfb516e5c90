"""One submission: its page, review, assignment, notes, duplicates, erasure."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from caseapp import eligibility, review_rules, wording
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, ReviewEvent, Submission
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.messages import submission_messages
from caseapp.selectors.queue import queue_home_query
from caseapp.selectors.submission import (
    submission_for_staff,
    submission_possible_duplicates,
    submission_timeline,
)
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import StaleEditError
from caseapp.services.duplicates import submission_mark_duplicate
from caseapp.services.email.links import manage_url
from caseapp.services.privacy import submission_erase_personal_data
from caseapp.services.review import (
    submission_assign,
    submission_decide,
    submission_note_add,
    submission_review,
)
from caseapp.services.submits import submit_token_new
from caseapp.validators import LATEST_DATE
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue_forms import queue_url_for, reviewers_for, work_queue_query
from caseapp.views.staff.submission_forms import (
    AssignForm,
    DecisionForm,
    DuplicateForm,
    EraseForm,
    NoteForm,
    ReviewForm,
)
from caseapp.views.staff.submission_summary import decision_summary, determination_rows
from caseapp.views.staff.work_queue import (
    in_work_queue,
    neighbours_in_queue,
    submission_url_in_queue,
)

CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this submission while you were editing, so your change was not "
    "saved. The page now shows the current state. What you entered is kept in the form: "
    "check it against the changes and save again."
)


def _back_to(request: HttpRequest, reference: str, anchor: str = "") -> HttpResponse:
    """The submission's page after a save, still in work-queue mode if it was."""
    if in_work_queue(request):
        return redirect(submission_url_in_queue(reference, request.GET) + anchor)
    return redirect(reverse("staff:submission", args=[reference]) + anchor)


def submission_or_404(reference: str) -> Submission:
    """The submission a staff URL names, with what its page shows, or a 404."""
    try:
        return submission_for_staff(reference=reference)
    except Submission.DoesNotExist:
        raise Http404(_("No submission has this reference.")) from None


#: What services.registrant stores, in plain English, for a registrant's own action and where
#: it was taken; shown in the reader's language.
REGISTRANT_ACTIONS = {
    "withdrew": gettext_lazy("withdrew their registration"),
    "downloaded a copy (page)": gettext_lazy("took a copy of their data (page)"),
    "downloaded a copy (json)": gettext_lazy("took a copy of their data (file)"),
    "manage": "/manage/",
    "confirmation page": gettext_lazy("confirmation page"),
}
REGISTRANT_FIELDS = {"full_name": gettext_lazy("full name"), "email": gettext_lazy("email"),
                     "phone": gettext_lazy("phone number"), "state": gettext_lazy("state")}


def _registrant_words(value: str) -> str:
    if value.startswith("corrected "):
        fields = value.removeprefix("corrected ").split(", ")
        return _("corrected %(fields)s") % {
            "fields": ", ".join(str(REGISTRANT_FIELDS.get(f, f)) for f in fields)}
    return str(REGISTRANT_ACTIONS.get(value, value))


def _timeline(submission: Submission) -> list:
    """Timeline events with their values in words (statuses and outcomes are stored as codes)."""
    words = {
        "status": dict(Submission.ReviewStatus.choices),
        "override": dict(OUTCOME_CHOICES),
    }
    events = submission_timeline(submission=submission)
    for event in events:
        if event.kind == ReviewEvent.Kind.REGISTRANT:
            event.from_label = _registrant_words(event.from_value)
            event.to_label = _registrant_words(event.to_value)
            continue
        labels = words.get(event.kind, {})
        event.from_label = labels.get(event.from_value, event.from_value)
        event.to_label = labels.get(event.to_value, event.to_value)
    return events


def _queue_links(request: HttpRequest, submission: Submission) -> dict:
    """Back to the queue the reviewer came from (or last used); in work-queue mode, the
    previous and next submissions of that queue and its query string for the forms."""
    if not in_work_queue(request):
        home = queue_home_query(session=request.session, user=request.user)
        return {"queue_url": reverse("staff:queue") + (f"?{home}" if home else ""), "wq": ""}
    previous, following = neighbours_in_queue(request, submission, directions=(True, False))
    return {
        "queue_url": queue_url_for(request.GET),
        "wq": work_queue_query(request.GET),
        "previous_url": previous and submission_url_in_queue(previous.reference, request.GET),
        "next_url": following and submission_url_in_queue(following.reference, request.GET),
    }


def _wordings(submission: Submission) -> list[tuple[str, str, str, bool]]:
    """Each text the person agreed to: its version, its words in the language they read it
    in, and whether it is still the version new registrations see."""
    rows = []
    for label, version, current in (
            (_("Consent to contact"), submission.consent_version, wording.CONSENT_CONTACT),
            (_("Attestation"), submission.attestation_version, wording.ATTESTATION),
            (_("Privacy notice"), submission.notice_version, wording.PRIVACY_NOTICE)):
        agreed = wording.published(version)
        with translation.override(submission.language):
            words = agreed.shown(manage_url=manage_url()) if agreed else ""
        rows.append((label, version, words, version == current.version))
    return rows


def _detail(request: HttpRequest, submission: Submission, *, status: int = 200,
            confirm_eligible: bool = False, **forms) -> HttpResponse:
    can_review = request.user.has_perm("caseapp.review_submission")
    case = case_for_request(request)
    labels = dict(OUTCOME_CHOICES)
    findings = determination_rows(submission)
    duplicates = submission_possible_duplicates(submission=submission)
    context = {
        "submission": submission,
        "state_label": dict(STATE_CHOICES).get(submission.state, submission.state),
        "automatic_outcome_label": labels.get(submission.outcome, submission.outcome),
        "effective_outcome_label": labels.get(submission.effective_outcome,
                                              submission.effective_outcome),
        "findings": findings,
        "summary": decision_summary(submission, findings=findings, duplicates=duplicates,
                            # A date written past the forms must not overflow the page.
                            reference_date=min(case.sca_reference_date, LATEST_DATE)),
        "rules_current": submission.rules_version == eligibility.RULES_VERSION,
        "current_rules_version": eligibility.RULES_VERSION,
        "wordings": _wordings(submission),
        "timeline": _timeline(submission),
        "messages_sent": submission_messages(submission=submission),
        # One per page shown: each Resend button sends its message again once.
        "resend_token": submit_token_new(),
        "duplicates": duplicates,
        "can_review": can_review,
        "nav": "queue",
        **_queue_links(request, submission),
    }
    can_erase = request.user.has_perm("caseapp.erase_submission") \
        and not submission.personal_data_erased_at
    context["erase_form"] = (forms.get("erase_form") or EraseForm()) if can_erase else None
    # Nobody is left to decide about once the personal data is erased: no decision, no
    # change of status or outcome; notes and the record stay.
    deciding = can_review and not submission.personal_data_erased_at
    if can_review:
        context.update({
            "decision_form": (forms.get("decision_form") or DecisionForm(
                initial={"version": submission.version})) if deciding else None,
            # Accept was pressed on one the rules left open: ask once, "as eligible?"
            "confirm_eligible": confirm_eligible,
            "reject_needs_reason": review_rules.decision_needs_reason(
                decision=review_rules.REJECTED, outcome=submission.outcome,
                override=submission.outcome_override),
            "review_form": (forms.get("review_form") or ReviewForm(submission=submission))
            if deciding else None,
            # Only a reviewer's page lists the reviewers, and only when it has no form yet.
            "assign_form": forms.get("assign_form") or AssignForm(
                submission=submission, reviewers=reviewers_for(request)),
            "note_form": forms.get("note_form") or NoteForm(),
            "duplicate_form": forms.get("duplicate_form"),
        })
    return render(request, "caseapp/staff/submission.html", context, status=status)


@staff_view("caseapp.view_submission")
@require_GET
def submission_detail(request: HttpRequest, reference: str) -> HttpResponse:
    # Opening changes nothing (issue 19): a submission is "in review" once someone claims,
    # is assigned or decides it, so "In review" never means "someone glanced at it".
    submission = submission_or_404(reference)
    audit_record(actor=request.user, action="submission.view",
                 target=submission.reference, request=request)
    return _detail(request, submission)


@staff_view("caseapp.erase_submission")
@require_POST
def erase(request: HttpRequest, reference: str) -> HttpResponse:
    submission = submission_or_404(reference)
    form = EraseForm(request.POST)
    if form.is_valid():
        submission_erase_personal_data(
            submission=submission, actor=request.user,
            category=form.cleaned_data["category"], note=form.cleaned_data["note"],
            request=request,
        )
        messages.success(request, _("The personal data was deleted. The anonymous record "
                                    "stays for the counts."))
        return redirect("staff:submission", reference=submission.reference)
    return _detail(request, submission, status=400, erase_form=form)


def _conflict(request, error: StaleEditError, form_name: str, form) -> HttpResponse:
    """Re-show the page at its current state with the reviewer's input kept, unsaved."""
    messages.error(request, CONFLICT_MESSAGE)
    current = submission_for_staff(reference=error.current.reference)
    kept = {**form.cleaned_data, "version": current.version}
    forms = {}
    if form_name == "review_form":
        forms[form_name] = ReviewForm(submission=current, initial=kept)
    elif form_name == "assign_form":
        forms[form_name] = AssignForm(submission=current, reviewers=reviewers_for(request),
                                      initial=kept)
    return _detail(request, current, status=409, **forms)


@staff_view("caseapp.review_submission")
@require_POST
def review(request: HttpRequest, reference: str) -> HttpResponse:
    submission = submission_or_404(reference)
    form = ReviewForm(request.POST, submission=submission)
    if form.is_valid():
        data = form.cleaned_data
        try:
            submission_review(
                submission=submission, actor=request.user, expected_version=data["version"],
                review_status=data["review_status"], outcome_override=data["outcome_override"],
                override_reason=data["override_reason"], request=request,
            )
        except StaleEditError as error:
            return _conflict(request, error, "review_form", form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Review saved."))
            return _back_to(request, submission.reference)
    return _detail(request, submission, review_form=form)


@staff_view("caseapp.review_submission")
@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    submission = submission_or_404(reference)
    form = AssignForm(request.POST, submission=submission,
                      reviewers=reviewers_for(request))
    if form.is_valid():
        try:
            submission_assign(
                submission=submission, actor=request.user,
                expected_version=form.cleaned_data["version"],
                assignee=form.cleaned_data["assignee"], request=request,
            )
        except StaleEditError as error:
            return _conflict(request, error, "assign_form", form)
        messages.success(request, _("Assignment saved."))
        return _back_to(request, submission.reference)
    return _detail(request, submission, assign_form=form)


@staff_view("caseapp.review_submission")
@require_POST
def note(request: HttpRequest, reference: str) -> HttpResponse:
    submission = submission_or_404(reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        submission_note_add(submission=submission, actor=request.user,
                            text=form.cleaned_data["text"], request=request)
        messages.success(request, _("Note added."))
        return _back_to(request, submission.reference, "#timeline")
    return _detail(request, submission, note_form=form)


@staff_view("caseapp.review_submission")
@require_POST
def duplicate(request: HttpRequest, reference: str) -> HttpResponse:
    submission = submission_or_404(reference)
    form = DuplicateForm(request.POST, submission=submission)
    if form.is_valid():
        try:
            submission_mark_duplicate(
                submission=submission, actor=request.user,
                expected_version=form.cleaned_data["version"],
                duplicate_of=form.cleaned_data["duplicate_of"], request=request,
            )
        except StaleEditError:
            messages.error(request, CONFLICT_MESSAGE)
            return redirect("staff:submission", reference=submission.reference)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Duplicate mark saved."))
            return redirect(reverse("staff:submission", args=[submission.reference])
                            + "#duplicates")
    return _detail(request, submission, duplicate_form=form)


DECIDED = {
    "accepted": gettext_lazy("%(reference)s accepted."),
    "accepted_eligible": gettext_lazy("%(reference)s accepted as eligible."),
    "rejected": gettext_lazy("%(reference)s rejected."),
    "needs_info": gettext_lazy("%(reference)s marked as needing information."),
}


@staff_view("caseapp.review_submission")
@require_POST
def decide(request: HttpRequest, reference: str) -> HttpResponse:
    """Accept, reject or ask for information in one step; "… and next" then opens the next
    submission of the queue in the URL (the decided one may have left it: keyset still
    finds its successor)."""
    submission = submission_or_404(reference)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if (data["decision"] == review_rules.ACCEPTED and not data["as_eligible"]
                and review_rules.accepting_means_override(
                    outcome=submission.outcome, override=submission.outcome_override)):
            return _detail(request, submission, decision_form=form, confirm_eligible=True)
        if data["decision"] == review_rules.NEEDS_INFO:
            # Asking for information is a request to the person, with its own form.
            query = request.GET.copy()
            if data["then_next"]:
                query["then"] = "next"
            query = query.urlencode()
            return redirect(reverse("staff:info_request", args=[reference])
                            + (f"?{query}" if query else ""))
        try:
            submission_decide(submission=submission, actor=request.user,
                              expected_version=data["version"], decision=data["decision"],
                              reason=data["reason"], as_eligible=data["as_eligible"],
                              request=request)
        except StaleEditError as error:
            messages.error(request, CONFLICT_MESSAGE)
            current = submission_for_staff(reference=error.current.reference)
            return _detail(request, current, status=409, decision_form=DecisionForm(
                initial={"reason": data["reason"], "version": current.version}))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            decided = "accepted_eligible" if data["as_eligible"] else data["decision"]
            messages.success(request, DECIDED[decided] % {"reference": reference})
            if data["then_next"]:
                (following,) = neighbours_in_queue(request, submission)
                if following is None:
                    messages.info(request, _("That was the last submission in this queue."))
                    return redirect(queue_url_for(request.GET))
                return redirect(submission_url_in_queue(following.reference, request.GET))
            return _back_to(request, reference)
    return _detail(request, submission, status=400, decision_form=form,
                   confirm_eligible=form.cleaned_data.get("as_eligible", False))
