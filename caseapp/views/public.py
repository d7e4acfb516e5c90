"""The public self-check: start, one question per page, check answers, result, register."""

from __future__ import annotations

import datetime
import secrets

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from caseapp import eligibility, ratelimit, selectors, services, wording
from caseapp.forms import QuestionForm, RegistrationForm
from caseapp.jinja import url
from caseapp.models import DailyCount

DRAFT_KEY = "check"
FINISHED_METRIC = {
    eligibility.Outcome.ELIGIBLE: DailyCount.Metric.FINISHED_ELIGIBLE,
    eligibility.Outcome.NEEDS_REVIEW: DailyCount.Metric.FINISHED_NEEDS_REVIEW,
    eligibility.Outcome.NOT_ELIGIBLE: DailyCount.Metric.FINISHED_NOT_ELIGIBLE,
}


# --- the draft check, in a sealed cookie (caseapp/drafts.py) -----------------------------

def _draft(request: HttpRequest) -> dict | None:
    """The check in progress, or None when there is none or it has expired."""
    draft = request.draft.get(DRAFT_KEY)
    if not isinstance(draft, dict) or not isinstance(draft.get("answers"), dict):
        return None
    started = draft.get("started", 0)
    max_age = selectors.case_for_request(request).draft_retention_hours * 3600
    if timezone.now().timestamp() - started > max_age:
        request.draft.pop(DRAFT_KEY, None)
        return None
    try:
        eligibility.validate(draft["answers"])
    except ValueError:
        return None
    return draft


def _draft_start(request: HttpRequest) -> dict:
    draft = {"answers": {}, "started": timezone.now().timestamp(), "finished": False}
    request.draft[DRAFT_KEY] = draft
    # The cookie expires with the draft: the browser forgets it, and the server checks too.
    request.draft.set_expiry(selectors.case_for_request(request).draft_retention_hours * 3600)
    services.daily_count_increment(metric=DailyCount.Metric.STARTED)
    return draft


def _draft_save(request: HttpRequest, draft: dict) -> None:
    request.draft[DRAFT_KEY] = draft


def _next_url(determination: eligibility.Determination) -> str:
    if determination.next_question:
        return url("public:question", determination.next_question)
    if determination.outcome is eligibility.Outcome.NOT_ELIGIBLE:
        return url("public:result")
    return url("public:check_answers")


def _expired(request: HttpRequest) -> HttpResponse:
    return _render(request, "caseapp/public/session_expired.html", {})


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    """Render a full page, or just the main area for an htmx request (never for a history
    restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    fragment = bool(htmx) and not htmx.history_restore_request
    context = {
        "base_template": "caseapp/public/_fragment.html" if fragment else
        "caseapp/public/base.html",
        **context,
    }
    response = render(request, template, context, status=status, using="jinja2")
    patch_vary_headers(response, ("HX-Request",))
    if fragment:
        # The browser followed a redirect inside the XHR; tell htmx which URL it ended on.
        response["HX-Push-Url"] = request.get_full_path()
    return response


# --- pages -------------------------------------------------------------------------------

@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return _render(request, "caseapp/public/start.html", {
        "questions_count": len(eligibility.QUESTIONS),
        "not_legal_advice": wording.NOT_LEGAL_ADVICE,
        "privacy_notice": wording.PRIVACY_NOTICE.text,
    })


@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, key: str) -> HttpResponse:
    try:
        q = eligibility.question(key)
    except ValueError:
        return _render(request, "404.html", {}, status=404)
    draft = _draft(request)
    if draft is None:
        if request.method == "POST":
            return _expired(request)
        draft = _draft_start(request)
    answers = draft["answers"]
    determination = eligibility.evaluate(answers)
    reachable = q.applies(answers) and (key in answers or key == determination.next_question)
    if not reachable:
        if determination.next_question:
            messages.info(request, _("Answer this question first."))
        return redirect(_next_url(determination))

    changing = request.GET.get("change") == "1"
    code = request.POST.get(key) if request.method == "POST" else None
    if code in q.codes:
        # An answer is valid when it is one of the question's codes. The form is for showing
        # the question and what was wrong with an answer; building it for every accepted
        # answer cost more than the rest of the step.
        answers[key] = code
        draft["answers"] = eligibility.applicable_answers(answers)
        _draft_save(request, draft)
        determination = eligibility.evaluate(draft["answers"])
        if changing and determination.next_question is None and \
                determination.outcome is not eligibility.Outcome.NOT_ELIGIBLE:
            return redirect(url("public:check_answers"))
        return redirect(_next_url(determination))

    # Bound to a refused answer, the form shows why; unbound, the answer given before.
    data = request.POST if request.method == "POST" else None
    form = QuestionForm(data, question=q, initial={key: answers.get(key)})
    keys = [x.key for x in eligibility.applicable_questions(answers)]
    position = keys.index(key)
    back_url = (url("public:check_answers") if changing
                else url("public:question", keys[position - 1]) if position
                else url("public:start"))
    return _render(request, "caseapp/public/question.html", {
        "form": form,
        "question": q,
        "back_url": back_url,
        "position": position + 1,
        "changing": changing,
    })


def _summary_rows(answers: dict) -> list[dict]:
    rows = []
    for q in eligibility.applicable_questions(answers):
        if q.key in answers:
            rows.append({
                "key": q.key,
                "question": _(q.text),
                "answer": _(q.choice(answers[q.key]).label),
                "change_url": url("public:question", q.key) + "?change=1",
            })
    return rows


@require_http_methods(["GET", "POST"])
def check_answers(request: HttpRequest) -> HttpResponse:
    draft = _draft(request)
    if draft is None:
        return _expired(request)
    determination = eligibility.evaluate(draft["answers"])
    if determination.next_question or determination.outcome is eligibility.Outcome.NOT_ELIGIBLE:
        return redirect(_next_url(determination))
    if request.method == "POST":
        return redirect(url("public:result"))
    return _render(request, "caseapp/public/check_answers.html", {
        "rows": _summary_rows(draft["answers"]),
    })


@require_GET
def result(request: HttpRequest) -> HttpResponse:
    draft = _draft(request)
    if draft is None:
        return _expired(request)
    determination = eligibility.evaluate(draft["answers"])
    if determination.outcome is eligibility.Outcome.INCOMPLETE:
        return redirect(_next_url(determination))
    if not draft.get("finished"):
        draft["finished"] = True
        _draft_save(request, draft)
        services.daily_count_increment(metric=FINISHED_METRIC[determination.outcome])
    findings = [
        {
            "question": _(eligibility.question(f.criterion).text),
            "answer": _(eligibility.question(f.criterion).choice(f.code).label),
            "status": f.status.value,
            "explanation": _(f.explanation),
            "change_url": url("public:question", f.criterion) + "?change=1",
        }
        for f in determination.findings
        if f.code is not None  # a ruled-out person may have left later questions unanswered
    ]
    return _render(request, "caseapp/public/result.html", {
        "determination": determination,
        "outcome_label": _(determination.label),
        "findings": findings,
        "ruled_out": [f for f in findings if f["status"] == "not_met"],
        "other_findings": [f for f in findings if f["status"] != "not_met"],
        "can_register": determination.outcome in eligibility.REGISTRABLE_OUTCOMES,
        "not_legal_advice": wording.NOT_LEGAL_ADVICE,
    })


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    # Posting reads the case afresh, so that closing registration stops the very next one.
    case = selectors.case_for_request(request, fresh=request.method == "POST")
    token = request.POST.get("form_token", "")
    if request.method == "POST" and token:
        # A double click or a re-posted form: the first post already saved it.
        existing = selectors.submission_by_idempotency_key(key=token)
        if existing is not None:
            request.draft["reference"] = existing.reference
            return redirect(url("public:confirmation"))
    draft = _draft(request)
    if draft is None:
        return _expired(request)
    determination = eligibility.evaluate(draft["answers"])
    if determination.outcome not in eligibility.REGISTRABLE_OUTCOMES:
        return redirect(_next_url(determination))
    if not case.registration_open:
        return _render(request, "caseapp/public/registration_closed.html", {})

    if request.method == "POST":
        form = RegistrationForm(request.POST)
        refusal = _registration_refusal(form, draft) if form.is_valid() else None
        if refusal:
            form.add_error(None, refusal)
        elif form.is_valid():
            retry_after = ratelimit.hit(
                scope="register", key=ratelimit.client_ip(request),
                rate=ratelimit.Rate.parse(settings.CASEAPP_REGISTRATION_RATE),
            )
            if retry_after is not None:
                return _too_many(request, retry_after)
            data = form.cleaned_data
            submission, _created = services.submission_create(
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
            return redirect(url("public:confirmation"))
    else:
        draft.setdefault("form_token", secrets.token_urlsafe(32))
        _draft_save(request, draft)
        form = RegistrationForm(initial={"form_token": draft["form_token"]})
    return _render(request, "caseapp/public/register.html", {
        "form": form,
        # crispy-forms renders with Django's templates; the page around it is Jinja2.
        "form_html": render_crispy_form(form, context={"csrf_token": get_token(request)}),
        "privacy_notice": wording.PRIVACY_NOTICE.text,
        "outcome": determination.outcome.value,
    })


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


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    minutes = max(1, -(-retry_after // 60))
    response = _render(request, "caseapp/public/too_many.html", {
        "try_again": ngettext(
            "To protect this service, we accept a limited number of registrations from one "
            "network. Try again in %(minutes)s minute.",
            "To protect this service, we accept a limited number of registrations from one "
            "network. Try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes},
        "retry_at": timezone.localtime() + datetime.timedelta(seconds=retry_after),
    }, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@require_GET
def confirmation(request: HttpRequest) -> HttpResponse:
    reference = request.draft.get("reference")
    if not reference:
        return redirect(url("public:start"))
    return _render(request, "caseapp/public/confirmation.html", {"reference": reference})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    hours = selectors.case_for_request(request).draft_retention_hours
    return _render(request, "caseapp/public/privacy.html", {
        "draft_kept": ngettext(
            "Your answers are kept only in your browser, in an encrypted cookie that cannot be "
            "read or changed outside our server, and that expires after %(hours)s hour.",
            "Your answers are kept only in your browser, in an encrypted cookie that cannot be "
            "read or changed outside our server, and that expires after %(hours)s hours.",
            hours,
        ) % {"hours": hours},
        "privacy_notice": wording.PRIVACY_NOTICE.text,
        "not_legal_advice": wording.NOT_LEGAL_ADVICE,
    })


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403, using="jinja2")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's own handler renders 400.html without the request, so the page around it (case
    # status, language switch) would have nothing to show.
    return render(request, "400.html", status=400, using="jinja2")
