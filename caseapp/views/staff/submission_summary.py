"""What the submission page shows above the decision: the rules' findings per criterion,
and the summary a reviewer reads before deciding (issue 19: decide with the facts in view)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caseapp import eligibility, review_rules
from caseapp.models import Submission


def determination_rows(submission: Submission) -> list[dict]:
    try:
        determination = eligibility.evaluate(submission.answers)
    except ValueError:
        return []
    rows = []
    for finding in determination.findings:
        q = eligibility.question(finding.criterion)
        rows.append({
            "key": q.key,
            "question": _(q.text),
            "code": finding.code or "",
            "answer": _(q.choice(finding.code).label) if finding.code else _("Not answered"),
            "status": finding.status.value,
            "explanation": _(finding.explanation),
        })
    for q in eligibility.QUESTIONS:
        if q.informative:  # asked for the lawyer, never a criterion (§ 2707(f) discovery)
            code = submission.answers.get(q.key, "")
            rows.append({
                "key": q.key, "question": _(q.text), "code": code,
                "answer": _(q.choice(code).label) if code else _("Not answered"),
                "status": "informative",
                "explanation": _("For the lawyer: it changes no outcome."),
            })
    return rows


#: Short names of the criteria, for the summary above the decision buttons.
CRITERION_SHORT = {
    "country": gettext_lazy("Account's country"), "premium": gettext_lazy("Paid Premium"),
    "premium_before_cutoff": gettext_lazy("Premium before the cutoff"),
    "inmail": gettext_lazy("InMail"), "inmail_before_cutoff": gettext_lazy("InMail before the "
                                                                          "cutoff"),
    "affiliation": gettext_lazy("Left out of class actions"),
}
MATCH_WORDS = {
    "email": gettext_lazy("email"), "phone": gettext_lazy("phone number"),
    "name_state": gettext_lazy("name and state"),
    "marked": gettext_lazy("marked as a duplicate of this one"),
}


def decision_summary(submission: Submission, *, findings: list[dict], duplicates: list[dict],
             reference_date) -> dict:
    """The facts to see before deciding: doubtful criteria, a duplicate match and why, the
    address confirmed, and the discovery answer with the date two years on (§ 2707(f))."""
    discovered = submission.answers.get(eligibility.DISCOVERED)
    question = eligibility.question(eligibility.DISCOVERED)
    unresolved = [item for item in duplicates
                  if item["submission"].review_status != review_rules.DUPLICATE]
    first = unresolved[0] if unresolved else None
    return {
        "doubtful": [{**row, "short": CRITERION_SHORT.get(row["key"], row["question"])}
                     for row in findings if row["status"] not in ("met", "informative")],
        "duplicate": first and {**first, "why": ", ".join(
            str(MATCH_WORDS[reason]) for reason in first["reasons"])},
        "duplicates_more": max(len(unresolved) - 1, 0),
        "discovery_label": _(question.choice(discovered).label) if discovered in question.codes
        else _("Not asked (registered before the question existed)"),
        "limit_last_day": review_rules.time_limit_last_day(discovered=discovered,
                                                           reference_date=reference_date),
        "limit_at_latest": discovered == eligibility.DISCOVERED_BEFORE_POLICY,
        "time_limit_flagged": review_rules.time_limit_flagged(
            received_on=timezone.localdate(submission.created_at), discovered=discovered,
            reference_date=reference_date),
    }
