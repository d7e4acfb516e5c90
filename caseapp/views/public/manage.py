"""/manage/: the registrant's way back. The person proves they hold the registered address
with an emailed code; then, for CASEAPP_MANAGE_SESSION_MINUTES, a server-side visit
(services.registrant.manage_session_*) whose random key the sealed cookie carries, ended at
sign-out. Every page that shows personal data is private and never cached."""

from __future__ import annotations

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import (
    get_language,
    get_language_info,
    gettext_lazy,
    ngettext,
    pgettext_lazy,
)
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caseapp.models import Message, Submission
from caseapp.selectors.registrant import (
    answers_meaning,
    mask_email,
    submission_registrant_copy,
)
from caseapp.services import info_requests, registrant
from caseapp.views.public.forms import (
    ContactDetailsForm,
    InfoAnswerForm,
    ManageCodeForm,
    ManageSignInForm,
)
from caseapp.views.public.render import render_page

SIGNED_IN_KEY = "manage_session"
CHALLENGE_KEY = "manage_challenge"
#: The reference and address the code was asked for, so "ask for a new code" keeps them
#: (in the sealed cookie, for the same short while as the challenge).
PAIR_KEY = "manage_pair"

#: The review status in plain words, and what it means for the person. The titles carry a
#: context: the staff pages' "Received" is a date column, and Spanish words them differently.
STATUS_WORDS = {
    Submission.ReviewStatus.NEW: (
        pgettext_lazy("registration status", "Received"),
        gettext_lazy("We have your registration. Nobody has reviewed it yet."),
    ),
    Submission.ReviewStatus.IN_REVIEW: (
        pgettext_lazy("registration status", "Being reviewed"),
        gettext_lazy("A member of the firm's staff is looking at your answers."),
    ),
    Submission.ReviewStatus.NEEDS_INFO: (
        pgettext_lazy("registration status", "We need more information"),
        gettext_lazy("The firm needs more information from you: see what it asked for below, "
                     "and answer here."),
    ),
    Submission.ReviewStatus.INFO_RECEIVED: (
        pgettext_lazy("registration status", "Information received"),
        gettext_lazy("Thank you: the firm has your answer and will look at it."),
    ),
    Submission.ReviewStatus.DUPLICATE: (
        pgettext_lazy("registration status", "Registered more than once"),
        gettext_lazy("You registered more than once. The firm keeps your other registration "
                     "and reviews that one."),
    ),
    Submission.ReviewStatus.ACCEPTED: (
        pgettext_lazy("registration status", "Accepted"),
        gettext_lazy("From your answers, the firm thinks you would have fit the proposed class "
                     "as it was described. This does not mean you will receive money."),
    ),
    Submission.ReviewStatus.REJECTED: (
        pgettext_lazy("registration status", "Not accepted"),
        gettext_lazy("From your answers, the firm does not think you fit the proposed class. "
                     "If you think this is wrong, contact the firm."),
    ),
}


def _signed_in(request: HttpRequest) -> Submission | None:
    return registrant.manage_session_submission(key=request.draft.get(SIGNED_IN_KEY))


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def _manage_render(request: HttpRequest, template: str, context: dict, status: int = 200):
    return _private(render_page(request, template, context, status=status))


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """Signed in: the registration and what the person can do. Otherwise: reference + email,
    which send a code when they match a registration (the page that follows never says)."""
    submission = _signed_in(request)
    if submission is not None and request.method == "GET":
        title, meaning = STATUS_WORDS[submission.review_status]
        return _manage_render(request, "caseapp/public/manage_home.html", {
            "submission": submission, "status_title": title, "status_meaning": meaning,
            "masked_email": mask_email(submission.email),
            "info_request": _request_for_person(submission),
        })
    pair = request.draft.get(PAIR_KEY)
    form = ManageSignInForm(request.POST or None,
                            initial=pair if isinstance(pair, dict) else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = registrant.access_code_request(
            reference=form.cleaned_data["reference"], email=form.cleaned_data["email"],
            request=request)
        if result.retry_after is None:
            request.draft[CHALLENGE_KEY] = result.challenge
            request.draft[PAIR_KEY] = {"reference": form.cleaned_data["reference"],
                                       "email": form.cleaned_data["email"]}
            request.draft.pop(SIGNED_IN_KEY, None)
            return redirect(reverse("public:manage_code"))
        minutes = max(1, -(-result.retry_after // 60))
        form.add_error(None, ngettext(
            "Too many sign-in attempts. Try again in %(minutes)s minute.",
            "Too many sign-in attempts. Try again in %(minutes)s minutes.", minutes,
        ) % {"minutes": minutes})
        status = 429
    return _manage_render(request, "caseapp/public/manage_sign_in.html", {
        "form": form,
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
    }, status=status)


@require_http_methods(["GET", "POST"])
def manage_code(request: HttpRequest) -> HttpResponse:
    challenge = request.draft.get(CHALLENGE_KEY)
    if not isinstance(challenge, str):
        return redirect(reverse("public:manage"))
    form = ManageCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = registrant.access_code_verify(
            challenge=challenge, code=form.cleaned_data["code"], request=request)
        if check.submission is not None:
            request.draft.pop(CHALLENGE_KEY, None)
            request.draft.pop(PAIR_KEY, None)
            request.draft[SIGNED_IN_KEY] = registrant.manage_session_start(
                submission=check.submission)
            return redirect(reverse("public:manage"))
        if check.too_many:
            form.add_error("code", _(
                "Too many wrong codes. This code no longer works. Ask for a new code below: "
                "your reference and email address are kept."))
        else:
            form.add_error("code", _(
                "That code is not right, has expired or was already used. Check the code in "
                "the latest email we sent, or ask for a new code."))
    return _manage_render(request, "caseapp/public/manage_code.html", {
        "form": form, "code_minutes": round(settings.CASEAPP_MANAGE_CODE_MINUTES),
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
    })


def _request_for_person(submission: Submission) -> dict | None:
    """The firm's open request for information, worded in the reader's language."""
    open_request = info_requests.info_request_open(submission=submission)
    if open_request is None:
        return None
    language = get_language()
    return {"reasons": [reason.in_language("public_text", language)
                        for reason in open_request.reasons.all()],
            "note": open_request.note, "reply_by": open_request.reply_by}


@require_http_methods(["GET", "POST"])
def manage_information(request: HttpRequest) -> HttpResponse:
    """The person answers the firm's request for information (sealed), and may change their
    answers to the questions."""
    submission = _signed_in(request)
    if submission is None:
        return _sign_in_first(request)
    asked = _request_for_person(submission)
    if asked is None:
        messages.info(request, _("The firm is not waiting for information from you."))
        return redirect(reverse("public:manage"))
    form = InfoAnswerForm(request.POST or None, answers=submission.answers)
    if request.method == "POST" and form.is_valid():
        try:
            info_requests.info_request_answer(
                submission=submission, answer=form.cleaned_data["answer"],
                answers=form.changed_answers(), request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you: your answer was sent to the firm."))
            return redirect(reverse("public:manage"))
    return _manage_render(request, "caseapp/public/manage_information.html", {
        "form": form, "info_request": asked,
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
    })


def _sign_in_first(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Sign in to manage your registration."))
    return redirect(reverse("public:manage"))


@require_http_methods(["GET", "POST"])
def manage_details(request: HttpRequest) -> HttpResponse:
    submission = _signed_in(request)
    if submission is None:
        return _sign_in_first(request)
    initial = {field: getattr(submission, field) for field in registrant.CORRECTABLE_FIELDS}
    form = ContactDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = registrant.submission_contact_correct(
                submission=submission, changes=form.cleaned_data, source="manage",
                request=request)
        except registrant.EmailChangeLimited as limited:
            form.add_error("email", _too_many_changes(limited.retry_after))
            return _manage_render(request, "caseapp/public/manage_details.html", {
                "form": form, "submission": submission,
                "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
            })
        if "email" in changed:
            messages.success(request, _(
                "Your details are saved. We have sent an email to the new address: open the "
                "link in it to confirm it. Until then, sign-in codes cannot go to it. We have "
                "also told your old address about the change."))
        elif changed:
            messages.success(request, _("Your details are saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect(reverse("public:manage"))
    return _manage_render(request, "caseapp/public/manage_details.html", {
        "form": form, "submission": submission,
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
    })


@require_GET
def manage_copy(request: HttpRequest) -> HttpResponse:
    submission = _signed_in(request)
    if submission is None:
        return _sign_in_first(request)
    copy = submission_registrant_copy(submission=submission)
    registrant.submission_copy_record(submission=submission, form="page", request=request)
    title, meaning = STATUS_WORDS[submission.review_status]
    return _manage_render(request, "caseapp/public/manage_copy.html", {
        "submission": submission, "copy": copy, "status_title": title,
        "language_name": get_language_info(copy["language"])["name_local"].capitalize(),
        "state_label": submission.get_state_display() if submission.state else "",
        "answers_meaning": answers_meaning(submission.effective_outcome),
        "message_kinds": dict(Message.Kind.choices),
        "message_statuses": dict(Message.Status.choices),
    })


@require_GET
def manage_copy_json(request: HttpRequest) -> HttpResponse:
    submission = _signed_in(request)
    if submission is None:
        return _sign_in_first(request)
    copy = submission_registrant_copy(submission=submission)
    registrant.submission_copy_record(submission=submission, form="json", request=request)
    response = JsonResponse(copy, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = (
        f'attachment; filename="registration-{submission.reference}.json"')
    return _private(response)


@require_http_methods(["GET", "POST"])
def manage_withdraw(request: HttpRequest) -> HttpResponse:
    submission = _signed_in(request)
    if submission is None:
        return _sign_in_first(request)
    if request.method == "POST":
        reference = submission.reference
        registrant.submission_withdraw(submission=submission, request=request)
        request.draft.pop(SIGNED_IN_KEY, None)
        request.draft.pop(PAIR_KEY, None)
        request.draft.pop("reference", None)
        return _manage_render(request, "caseapp/public/manage_withdrawn.html",
                              {"reference": reference})
    return _manage_render(request, "caseapp/public/manage_withdraw.html",
                          {"submission": submission})


def _too_many_changes(retry_after: int) -> str:
    minutes = max(1, -(-retry_after // 60))
    return ngettext(
        "You have changed the address too many times. Try again in %(minutes)s minute, or "
        "contact the firm.",
        "You have changed the address too many times. Try again in %(minutes)s minutes, or "
        "contact the firm.", minutes) % {"minutes": minutes}


def resend_message(retry_after: int | None) -> tuple[str, str]:
    """What the person is told after asking for the confirmation again: level and words."""
    if retry_after is None:
        return messages.SUCCESS, _("We have sent the confirmation email again. Open the link "
                                   "in the newest one.")
    minutes = max(1, -(-retry_after // 60))
    return messages.ERROR, ngettext(
        "We have sent the confirmation email several times. Try again in %(minutes)s minute.",
        "We have sent the confirmation email several times. Try again in %(minutes)s minutes.",
        minutes) % {"minutes": minutes}


@require_POST
def manage_resend_confirmation(request: HttpRequest) -> HttpResponse:
    submission = _signed_in(request)
    if submission is None:
        return _sign_in_first(request)
    level, text = resend_message(registrant.confirmation_resend(
        submission=submission, request=request))
    messages.add_message(request, level, text)
    return redirect(reverse("public:manage"))


@require_POST
def manage_sign_out(request: HttpRequest) -> HttpResponse:
    registrant.manage_session_end(key=request.draft.get(SIGNED_IN_KEY), request=request)
    request.draft.pop(SIGNED_IN_KEY, None)
    request.draft.pop(PAIR_KEY, None)
    request.draft.pop(CHALLENGE_KEY, None)
    messages.info(request, _("You are signed out."))
    return redirect(reverse("public:manage"))


