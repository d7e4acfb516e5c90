"""The check: start, one question per page, check your answers, the result."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from caseapp import eligibility, wording
from caseapp.check_draft import REFERENCE_KEY, draft_current, draft_save, draft_start
from caseapp.models import DailyCount
from caseapp.services.intake import daily_count_increment
from caseapp.views.public.forms import QuestionForm
from caseapp.views.public.render import render_page
from caseapp.views.public.steps import draft_expired, next_url

FINISHED_METRIC = {
    eligibility.Outcome.ELIGIBLE: DailyCount.Metric.FINISHED_ELIGIBLE,
    eligibility.Outcome.NEEDS_REVIEW: DailyCount.Metric.FINISHED_NEEDS_REVIEW,
    eligibility.Outcome.NOT_ELIGIBLE: DailyCount.Metric.FINISHED_NOT_ELIGIBLE,
}


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return render_page(request, "caseapp/public/start.html", {
        "questions_count": len(eligibility.QUESTIONS),
        "not_legal_advice": wording.NOT_LEGAL_ADVICE,
        "registered_reference": request.draft.get(REFERENCE_KEY),
    })


@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, key: str) -> HttpResponse:
    try:
        q = eligibility.question(key)
    except ValueError:
        return render_page(request, "404.html", {}, status=404)
    draft = draft_current(request)
    if draft is None:
        if request.method == "POST" or request.draft.get(REFERENCE_KEY):
            return draft_expired(request)
        draft = draft_start(request)
    answers = draft["answers"]
    determination = eligibility.evaluate(answers)
    reachable = q.applies(answers) and (key in answers or key == determination.ask)
    if not reachable:
        if determination.ask:
            messages.info(request, _("Answer this question first."))
        return redirect(next_url(determination))

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
        if changing and determination.ask is None and \
                determination.outcome is not eligibility.Outcome.NOT_ELIGIBLE:
            return redirect(reverse("public:check_answers"))
        return redirect(next_url(determination))

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
    if determination.ask or determination.outcome is eligibility.Outcome.NOT_ELIGIBLE:
        return redirect(next_url(determination))
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
        return redirect(next_url(determination))
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
