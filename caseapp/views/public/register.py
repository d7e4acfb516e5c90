"""Registering with the firm, and the confirmation."""

from __future__ import annotations

import datetime
import secrets

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caseapp import crypto, eligibility, ratelimit, wording
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.intake import submission_by_idempotency_key
from caseapp.services.intake import submission_create
from caseapp.views.public.check import DRAFT_KEY, draft_current, draft_expired, draft_save, next_url
from caseapp.views.public.forms import RegistrationForm
from caseapp.views.public.render import render_page


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    # Posting reads the case afresh, so that closing registration stops the very next one.
    case = case_for_request(request, fresh=request.method == "POST")
    token = request.POST.get("form_token", "")
    if request.method == "POST" and token:
        # A double click or a re-posted form: the first post already saved it.
        existing = submission_by_idempotency_key(key=token)
        if existing is not None:
            request.draft["reference"] = existing.reference
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
            request.draft.pop(DRAFT_KEY, None)
            request.draft["reference"] = submission.reference
            # The reference shows on the confirmation for a while, not for the draft's days.
            request.draft.set_expiry(settings.CASEAPP_CONFIRMATION_MAX_AGE)
            return redirect(reverse("public:confirmation"))
    else:
        draft.setdefault("form_token", secrets.token_urlsafe(32))
        draft_save(request, draft)
        form = RegistrationForm(initial={"form_token": draft["form_token"]})
    return render_page(request, "caseapp/public/register.html", {
        "form": form,
        # crispy-forms renders with Django's templates; the page around it is Jinja2.
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
        "privacy_notice": wording.PRIVACY_NOTICE.text,
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
    request.draft.pop("reference", None)
    request.draft.pop(DRAFT_KEY, None)
    return redirect(reverse("public:question", args=[eligibility.QUESTIONS[0].key]))


@require_GET
def confirmation(request: HttpRequest) -> HttpResponse:
    reference = request.draft.get("reference")
    if not reference:
        return redirect(reverse("public:start"))
    return render_page(request, "caseapp/public/confirmation.html", {"reference": reference})
