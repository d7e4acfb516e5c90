"""The check: start, one question per page, check your answers, the result."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from caseapp import eligibility, wording
from caseapp.models import DailyCount
from caseapp.selectors.case_record import case_for_request
from caseapp.services.intake import daily_count_increment
from caseapp.views.public.forms import QuestionForm
from caseapp.views.public.render import render_page

DRAFT_KEY = "check"
FINISHED_METRIC = {
    eligibility.Outcome.ELIGIBLE: DailyCount.Metric.FINISHED_ELIGIBLE,
    eligibility.Outcome.NEEDS_REVIEW: DailyCount.Metric.FINISHED_NEEDS_REVIEW,
    eligibility.Outcome.NOT_ELIGIBLE: DailyCount.Metric.FINISHED_NOT_ELIGIBLE,
}


# --- the draft check, in a sealed cookie (caseapp/drafts.py) -----------------------------

def draft_current(request: HttpRequest) -> dict | None:
    """The check in progress, or None when there is none or it has expired."""
    draft = request.draft.get(DRAFT_KEY)
    if not isinstance(draft, dict) or not isinstance(draft.get("answers"), dict):
        return None
    started = draft.get("started", 0)
    max_age = case_for_request(request).draft_retention_hours * 3600
    if timezone.now().timestamp() - started > max_age:
        request.draft.pop(DRAFT_KEY, None)
        return None
    try:
        eligibility.validate(draft["answers"])
    except ValueError:
        return None
    return draft


def draft_start(request: HttpRequest) -> dict:
    draft = {"answers": {}, "started": timezone.now().timestamp(), "finished": False}
    request.draft[DRAFT_KEY] = draft
    # The cookie expires with the draft: the browser forgets it, and the server checks too.
    request.draft.set_expiry(case_for_request(request).draft_retention_hours * 3600)
    daily_count_increment(metric=DailyCount.Metric.STARTED)
    return draft


def draft_save(request: HttpRequest, draft: dict) -> None:
    request.draft[DRAFT_KEY] = draft


def next_url(determination: eligibility.Determination, answers: dict) -> str:
    ask = eligibility.next_to_ask(answers)
    if ask:
        return reverse("public:question", args=[ask])
    if determination.outcome is eligibility.Outcome.NOT_ELIGIBLE:
        return reverse("public:result")
    return reverse("public:check_answers")


def draft_expired(request: HttpRequest) -> HttpResponse:
    """No check in progress: after registering, say so (Back, reload or a step's URL after the
    confirmation must never claim that nothing was saved); otherwise the draft expired."""
    reference = request.draft.get("reference")
    if reference:
        return render_page(request, "caseapp/public/already_registered.html",
                           {"registered_reference": reference})
    return render_page(request, "caseapp/public/session_expired.html", {})


# --- pages -------------------------------------------------------------------------------

@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return render_page(request, "caseapp/public/start.html", {
        "questions_count": len(eligibility.QUESTIONS),
        "not_legal_advice": wording.NOT_LEGAL_ADVICE,
        "privacy_notice": wording.PRIVACY_NOTICE.text,
        "registered_reference": request.draft.get("reference"),
    })


@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, key: str) -> HttpResponse:
    try:
        q = eligibility.question(key)
    except ValueError:
        return render_page(request, "404.html", {}, status=404)
    draft = draft_current(request)
    if draft is None:
        if request.method == "POST" or request.draft.get("reference"):
            return draft_expired(request)
        draft = draft_start(request)
    answers = draft["answers"]
    determination = eligibility.evaluate(answers)
    ask = eligibility.next_to_ask(answers)
    reachable = q.applies(answers) and (key in answers or key == ask)
    if not reachable:
        if ask:
            messages.info(request, _("Answer this question first."))
        return redirect(next_url(determination, answers))

    changing = request.GET.get("change") == "1"
    code = request.POST.get(key) if request.method == "POST" else None
    if code in q.codes:
        # An answer is valid when it is one of the question's codes. The form is for showing
        # the question and what was wrong with an answer; building it for every accepted
        # answer cost more than the rest of the step.
        answers[key] = code
        draft["answers"] = eligibility.applicable_answers(answers)
        draft_save(request, draft)
        determination = eligibility.evaluate(draft["answers"])
        if changing and eligibility.next_to_ask(draft["answers"]) is None and \
                determination.outcome is not eligibility.Outcome.NOT_ELIGIBLE:
            return redirect(reverse("public:check_answers"))
        return redirect(next_url(determination, draft["answers"]))

    # Bound to a refused answer, the form shows why; unbound, the answer given before.
    data = request.POST if request.method == "POST" else None
    form = QuestionForm(data, question=q, initial={key: answers.get(key)})
    keys = [x.key for x in eligibility.applicable_questions(answers)]
    progress = eligibility.progress(answers, key)
    position = progress.position - 1
    back_url = (reverse("public:check_answers") if changing
                else reverse("public:question", args=[keys[position - 1]]) if position
                else reverse("public:start"))
    return render_page(request, "caseapp/public/question.html", {
        "form": form,
        "question": q,
        "how_to_check": _(q.how_to_check) if q.how_to_check else "",
        "back_url": back_url,
        "progress": progress,
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
                "change_url": reverse("public:question", args=[q.key]) + "?change=1",
            })
    return rows


@require_http_methods(["GET", "POST"])
def check_answers(request: HttpRequest) -> HttpResponse:
    draft = draft_current(request)
    if draft is None:
        return draft_expired(request)
    determination = eligibility.evaluate(draft["answers"])
    if eligibility.next_to_ask(draft["answers"]) \
            or determination.outcome is eligibility.Outcome.NOT_ELIGIBLE:
        return redirect(next_url(determination, draft["answers"]))
    if request.method == "POST":
        return redirect(reverse("public:result"))
    return render_page(request, "caseapp/public/check_answers.html", {
        "rows": _summary_rows(draft["answers"]),
    })


@require_GET
def result(request: HttpRequest) -> HttpResponse:
    draft = draft_current(request)
    if draft is None:
        return draft_expired(request)
    determination = eligibility.evaluate(draft["answers"])
    if determination.outcome is eligibility.Outcome.INCOMPLETE:
        return redirect(next_url(determination, draft["answers"]))
    if not draft.get("finished"):
        draft["finished"] = True
        draft_save(request, draft)
        daily_count_increment(metric=FINISHED_METRIC[determination.outcome])
    findings = [
        {
            "question": _(eligibility.question(f.criterion).text),
            "answer": _(eligibility.question(f.criterion).choice(f.code).label),
            "status": f.status.value,
            "explanation": _(f.explanation),
            "change_url": reverse("public:question", args=[f.criterion]) + "?change=1",
        }
        for f in determination.findings
        if f.code is not None  # a ruled-out person may have left later questions unanswered
    ]
    return render_page(request, "caseapp/public/result.html", {
        "determination": determination,
        "findings": findings,
        "ruled_out": [f for f in findings if f["status"] == "not_met"],
        "other_findings": [f for f in findings if f["status"] != "not_met"],
        "can_register": determination.outcome in eligibility.REGISTRABLE_OUTCOMES,
    })
