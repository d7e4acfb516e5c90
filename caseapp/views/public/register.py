"""Registering with the firm, and the confirmation."""

from __future__ import annotations

import datetime
import secrets

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from caseapp import crypto, eligibility, ratelimit, wording
from caseapp.check_draft import (
    CHECK_KEY,
    REFERENCE_KEY,
    REGISTERED_AT_KEY,
    draft_current,
    draft_save,
)
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.intake import submission_by_idempotency_key
from caseapp.selectors.registrant import mask_phone
from caseapp.selectors.submission import submission_by_reference
from caseapp.services.email.links import manage_url
from caseapp.services.intake import submission_create
from caseapp.services.registrant import (
    EmailChangeLimited,
    confirmation_resend,
    correction_window_open,
    submission_contact_correct,
)
from caseapp.views.public.forms import EmailCorrectionForm, RegistrationForm
from caseapp.views.public.manage import resend_message
from caseapp.views.public.render import render_page
from caseapp.views.public.steps import draft_expired, next_url


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    # Posting reads the case afresh, so that closing registration stops the very next one.
    case = case_for_request(request, fresh=request.method == "POST")
    token = request.POST.get("form_token", "")
    if request.method == "POST" and token:
        # A double click or a re-posted form: the first post already saved it.
        existing = submission_by_idempotency_key(key=token)
        if existing is not None:
            request.draft[REFERENCE_KEY] = existing.reference
            request.draft.set_expiry(settings.CASEAPP_CONFIRMATION_MAX_AGE)
            if _contact_changed(existing, request.POST):
                # The same form sent again with other details: nothing is changed, and the
                # person is told so, and how to correct them, instead of silently losing them.
                return render_page(request, "caseapp/public/resubmitted.html",
                                   {"reference": existing.reference})
            return redirect(reverse("public:confirmation"))
    draft = draft_current(request)
    if draft is None:
        return draft_expired(request)
    determination = eligibility.evaluate(draft["answers"])
    if determination.outcome not in eligibility.REGISTRABLE_OUTCOMES:
        return redirect(next_url(determination))
    if not case.registration_open:
        return render_page(request, "caseapp/public/registration_closed.html", {})

    if request.method == "POST":
        form = RegistrationForm(request.POST)
        refusal = _registration_refusal(form, draft) if form.is_valid() else None
        if refusal:
            form.add_error(None, refusal)
        elif form.is_valid():
            data = form.cleaned_data
            retry_after = ratelimit.hit(
                scope="register", key=ratelimit.client_ip(request),
                rate=ratelimit.Rate.parse(settings.CASEAPP_REGISTRATION_RATE),
            )
            if retry_after is not None:
                return _too_many(request, retry_after)
            # Per address too: one email filled in from many networks. The bucket's name is a
            # keyed hash, so the limit table holds no email.
            retry_after = ratelimit.hit(
                scope="register-email",
                key=crypto.keyed_digest(crypto.normalise_email(data["email"]),
                                        purpose="rate limit email"),
                rate=ratelimit.Rate.parse(settings.CASEAPP_REGISTRATION_EMAIL_RATE),
            )
            if retry_after is not None:
                return _too_many(request, retry_after, per_email=True)
            submission, _created = submission_create(
                case=case,
                answers=draft["answers"],
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                state=data["state"],
                language=request.LANGUAGE_CODE,
                idempotency_key=data["form_token"],
            )
            # Minimum data: once registered, the draft answers are no longer needed here.
            request.draft.pop(CHECK_KEY, None)
            request.draft[REFERENCE_KEY] = submission.reference
            # The reference shows on the confirmation for a while, not for the draft's days.
            request.draft.set_expiry(settings.CASEAPP_CONFIRMATION_MAX_AGE)
            # Opens the confirmation page's short window for fixing a mistyped address.
            request.draft[REGISTERED_AT_KEY] = timezone.now().timestamp()
            return redirect(reverse("public:confirmation"))
    else:
        draft.setdefault("form_token", secrets.token_urlsafe(32))
        draft_save(request, draft)
        form = RegistrationForm(initial={"form_token": draft["form_token"]})
    return render_page(request, "caseapp/public/register.html", {
        "form": form,
        # crispy-forms renders with Django's templates; the page around it is Jinja2.
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
        "privacy_notice": wording.PRIVACY_NOTICE.shown(manage_url=manage_url()),
        "outcome": determination.outcome.value,
    })


def _contact_changed(existing, posted) -> bool:
    """Whether a re-sent form carries a name, email or phone other than the saved ones."""
    if existing.personal_data_erased_at is not None:
        return False
    def digits(text: str) -> str:
        return "".join(ch for ch in text if ch.isdigit())

    pairs = (
        (crypto.normalise_email, posted.get("email", ""), existing.email),
        (crypto.normalise_name, posted.get("full_name", ""), existing.full_name),
        (digits, posted.get("phone", ""), existing.phone),
    )
    return any(norm(new) and norm(new) != norm(old) for norm, new, old in pairs)


def _registration_refusal(form: RegistrationForm, draft: dict) -> str | None:
    """Why a valid-looking registration is not saved (stale token, bot signs), or None."""
    if form.cleaned_data["form_token"] != draft.get("form_token"):
        # Not the token this draft was given: a tampered or stale form. Re-show it with the
        # right one, so pressing Register again works.
        form.data = form.data.copy()
        form.data["form_token"] = draft.get("form_token") or ""
        return _("This form was out of date. Check your details and press Register again.")
    if form.cleaned_data["website"]:
        return _("We could not accept this form. Reload the page and try again, or contact "
                 "the firm.")
    if _too_fast(draft):
        return _("That was quicker than we expect from a person. Check your details and "
                 "press Register again.")
    return None


def _too_fast(draft: dict) -> bool:
    """A person needs some seconds to read the questions; a naive bot does not."""
    elapsed = timezone.now().timestamp() - draft.get("started", 0)
    return elapsed < settings.CASEAPP_REGISTRATION_MIN_SECONDS


def _too_many(request: HttpRequest, retry_after: int, *, per_email: bool = False
              ) -> HttpResponse:
    minutes = max(1, -(-retry_after // 60))
    response = render_page(request, "caseapp/public/too_many.html", {
        "try_again": ngettext(
            "To protect this service, we accept a limited number of registrations for one "
            "email address. Try again in %(minutes)s minute.",
            "To protect this service, we accept a limited number of registrations for one "
            "email address. Try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes} if per_email else ngettext(
            "To protect this service, we accept a limited number of registrations from one "
            "network. Try again in %(minutes)s minute.",
            "To protect this service, we accept a limited number of registrations from one "
            "network. Try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes},
        "retry_at": timezone.localtime() + datetime.timedelta(seconds=retry_after),
        "per_email": per_email,
    }, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@require_POST
def new_check(request: HttpRequest) -> HttpResponse:
    """Start over for someone else: forget the reference shown after registering (it is saved
    with the firm) and any check in progress."""
    request.draft.pop(REFERENCE_KEY, None)
    request.draft.pop(REGISTERED_AT_KEY, None)
    request.draft.pop(CHECK_KEY, None)
    return redirect(reverse("public:question", args=[eligibility.QUESTIONS[0].key]))


@require_http_methods(["GET", "POST"])
def confirmation(request: HttpRequest) -> HttpResponse:
    """What was registered, with the full address the person just typed (so a typo shows;
    the page is never stored); for a short while, in the browser that registered, a way to
    fix a mistyped address; and a way to have the confirmation sent again."""
    reference = request.draft.get(REFERENCE_KEY)
    submission = submission_by_reference(reference=reference) if reference else None
    if submission is None:
        return redirect(reverse("public:start"))
    can_fix = correction_window_open(
        registered_at=request.draft.get(REGISTERED_AT_KEY),
        minutes=settings.CASEAPP_EMAIL_FIX_MINUTES,
    ) and submission.personal_data_erased_at is None
    form = EmailCorrectionForm()
    if request.method == "POST" and "resend" in request.POST:
        if submission.personal_data_erased_at is None:
            level, text = resend_message(confirmation_resend(submission=submission,
                                                             request=request))
            messages.add_message(request, level, text)
        return redirect(reverse("public:confirmation"))
    if request.method == "POST" and can_fix:
        form = EmailCorrectionForm(request.POST)
        if form.is_valid():
            retry_after = ratelimit.hit(
                scope="email-fix", key=ratelimit.client_ip(request),
                rate=ratelimit.Rate.parse(settings.CASEAPP_EMAIL_FIX_RATE))
            if retry_after is not None:
                form.add_error("email", _("You have changed the address several times. "
                                          "Contact the firm to change it again."))
            else:
                try:
                    changed = submission_contact_correct(
                        submission=submission, changes={"email": form.cleaned_data["email"]},
                        source="confirmation page", request=request)
                except EmailChangeLimited:
                    form.add_error("email", _("You have changed the address several times. "
                                              "Contact the firm to change it again."))
                else:
                    if changed:
                        messages.success(request, _(
                            "Your email address is changed. We have sent a new confirmation "
                            "email to it, and told the old address."))
                    else:
                        messages.info(request, _("That is the address we already have. "
                                                 "Nothing was changed."))
                    return redirect(reverse("public:confirmation"))
    elif request.method == "POST":
        messages.info(request, _("The time for fixing the address here has passed. Use “Manage "
                                 "your registration” to change it."))
        return redirect(reverse("public:confirmation"))
    response = render_page(request, "caseapp/public/confirmation.html", {
        "reference": submission.reference,
        "submission": submission,
        "masked_phone": mask_phone(submission.phone),
        "state_label": submission.get_state_display() if submission.state else "",
        "other_references": submission.same_address_references(),
        "can_fix": can_fix,
        "fix_minutes": round(settings.CASEAPP_EMAIL_FIX_MINUTES),
        "form": form,
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
    })
    # The full address is on it: no browser or proxy keeps a copy.
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response
