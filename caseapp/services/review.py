"""Reviewing submissions: status and outcome, assignment, notes, bulk actions, claims."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caseapp import eligibility, review_rules
from caseapp.models import DecisionCount, InfoRequest, ReviewEvent, Submission
from caseapp.review_rules import OVERRIDE_OUTCOMES
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import submission_bump, submission_locked

#: What the reviewer reads when the workflow refuses a change (codes from review_rules).
REFUSALS = {
    review_rules.REFUSED_UNCHANGED: gettext_lazy("It already has that status."),
    review_rules.REFUSED_TRANSITION: gettext_lazy(
        "The review workflow does not allow that status from where it is."),
    review_rules.REFUSED_ACCEPTED_NOT_ELIGIBLE: gettext_lazy(
        "An accepted submission cannot have the outcome “Not eligible”: nothing can be owed "
        "to that person. Change the outcome first (with a reason), or reject it instead."),
    review_rules.REFUSED_ACCEPT_AS_ELIGIBLE: gettext_lazy(
        "The rules could not decide this one: accepting it means accepting it as eligible. "
        "Open it, press Accept and confirm “Accept as eligible” with a reason."),
    review_rules.REFUSED_ERASED: gettext_lazy(
        "Its personal data was erased: there is nobody left to decide about."),
    review_rules.REFUSED_REASON_REQUIRED: gettext_lazy(
        "Write a reason: asking for information needs to say what is missing, and rejecting "
        "someone the rules did not find ineligible needs to say why."),
    review_rules.REFUSED_NEEDS_REQUEST: gettext_lazy(
        "“Needs information” is a request to the person, by email: use “Needs information” "
        "on the submission's page, or “Ask for information” with the rows selected in the "
        "queue."),
    review_rules.REFUSED_AWAITING_ANSWER: gettext_lazy(
        "It is already waiting for the person's answer to a request for information."),
}


#: A bulk selection may name a reference that no longer exists (erased with its case).
NOT_FOUND = "not_found"
REFUSALS[NOT_FOUND] = gettext_lazy("No submission has this reference.")


def refusal_message(code: str) -> str:
    return str(REFUSALS[code])


# Every staff write records an AuditEvent; edits from a form carry the version they saw
# (caseapp.services.concurrency).


def decision_count_add(*, reviewer: AbstractBaseUser, decision: str, amount: int = 1) -> None:
    """Count decisions toward today's throughput: one upsert, safe when two reviewers decide
    at once; called inside the decision's transaction, so it counts exactly what was saved."""
    if amount <= 0 or decision not in review_rules.DECISIONS:
        return
    table = connection.ops.quote_name(DecisionCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, reviewer_id, decision, count) VALUES (%s, %s, %s, %s) "  # noqa: S608 (the table name is the model's)
            f"ON CONFLICT (day, reviewer_id, decision) "
            f"DO UPDATE SET count = {table}.count + excluded.count",
            [timezone.localdate(), reviewer.pk, decision, amount])


@transaction.atomic
def submission_review(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    review_status: str,
    outcome_override: str,
    override_reason: str = "",
    info_request: InfoRequest | None = None,
    request: HttpRequest | None = None,
) -> Submission:
    """Change the review status and/or the reviewer's outcome; an outcome change needs a reason,
    and so do the decisions ``review_rules.decision_needs_reason`` names. The reason is kept
    with the change on the timeline. "Needs information" needs ``info_request``: the saved,
    unanswered request to this person that ``services.info_requests`` makes (and emails) in
    this transaction; without it the change is refused."""
    current = submission_locked(submission_id=submission.pk, expected_version=expected_version)
    requested = (info_request is not None and info_request.pk is not None
                 and info_request.submission_id == current.pk
                 and info_request.answered_at is None)
    reason = override_reason.strip()
    if outcome_override != current.outcome_override:
        if outcome_override and outcome_override not in OVERRIDE_OUTCOMES:
            raise ValidationError(_("Choose one of the outcomes offered."),
                                  code="invalid_outcome")
        if not reason:
            raise ValidationError(
                _("Write why you are changing the outcome; the reason is kept with the change."),
                code="override_reason_required",
            )
    refused = review_rules.review_refusal(
        status=current.review_status, new_status=review_status, outcome=current.outcome,
        override=current.outcome_override, new_override=outcome_override,
        reason_given=bool(reason), erased=current.personal_data_erased_at is not None,
        requested=requested)
    if refused == review_rules.REFUSED_UNCHANGED:
        return current
    if refused is not None:
        raise ValidationError(refusal_message(refused), code=refused)
    changes: dict = {}
    events = []
    if review_status != current.review_status:
        changes["review_status"] = review_status
        events.append(ReviewEvent(submission=current, actor=actor, kind=ReviewEvent.Kind.STATUS,
                                  from_value=current.review_status, to_value=review_status,
                                  text="" if outcome_override != current.outcome_override
                                  else reason))
    if outcome_override != current.outcome_override:
        changes["outcome_override"] = outcome_override
        changes["override_reason"] = reason
        events.append(ReviewEvent(
            submission=current, actor=actor, kind=ReviewEvent.Kind.OVERRIDE,
            from_value=current.outcome_override or current.outcome,
            to_value=outcome_override or current.outcome, text=reason,
        ))
    if not changes:
        return current
    submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.bulk_create(events)
    if "review_status" in changes:
        decision_count_add(reviewer=actor, decision=review_status)
    audit_record(actor=actor, action="submission.review", target=current.reference, request=request,
                 details={key: value for key, value in changes.items()
                          if key != "override_reason"})
    current.refresh_from_db()
    return current


@transaction.atomic
def submission_decide(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    decision: str,
    reason: str = "",
    as_eligible: bool = False,
    request: HttpRequest | None = None,
) -> Submission:
    """Accept or reject in one step, from wherever the submission stands; deciding what it
    already is changes nothing. Asking for information is refused here: it is a request to
    the person (``services.info_requests``). ``as_eligible``: accept one the rules left
    open (needs review, incomplete) as eligible, an outcome change that needs the reason."""
    if decision not in review_rules.DECISIONS:
        raise ValidationError(_("Choose accept, reject or needs information."),
                              code="invalid_decision")
    current = submission_locked(submission_id=submission.pk, expected_version=expected_version)
    override = current.outcome_override
    if as_eligible and decision == review_rules.ACCEPTED and review_rules.accepting_means_override(
            outcome=current.outcome, override=override):
        override = eligibility.Outcome.ELIGIBLE.value
    return submission_review(
        submission=current, actor=actor, expected_version=expected_version,
        review_status=decision, outcome_override=override,
        override_reason=reason, request=request,
    )


def _start_review(*, submission: Submission, actor: AbstractBaseUser) -> bool:
    """Move a new submission to "in review" if it still is new: a conditional UPDATE, so a
    reviewer who claims it while another decides it never undoes the decision."""
    started = review_rules.status_when_opened(review_rules.NEW)
    # Nor if the person's data was erased: nobody is left to review (assigning and claiming,
    # one at a time or in bulk, all come here).
    moved = Submission.objects.filter(
        pk=submission.pk, review_status=review_rules.NEW, personal_data_erased_at__isnull=True,
    ).update(review_status=started, version=F("version") + 1, updated_at=timezone.now())
    if moved:
        ReviewEvent.objects.create(submission_id=submission.pk, actor=actor,
                                   kind=ReviewEvent.Kind.STATUS,
                                   from_value=review_rules.NEW, to_value=started)
    return bool(moved)


@transaction.atomic
def submission_assign(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    assignee: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> Submission:
    current = submission_locked(submission_id=submission.pk, expected_version=expected_version)
    new_id = assignee.pk if assignee is not None else None
    if new_id == current.assignee_id:
        return current
    old_label = current.assignee.get_username() if current.assignee_id else ""
    new_label = assignee.get_username() if assignee is not None else ""
    submission_bump(submission=current, expected_version=expected_version, assignee_id=new_id)
    ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                               from_value=old_label, to_value=new_label)
    started = new_id is not None and _start_review(submission=current, actor=actor)
    audit_record(actor=actor, action="submission.assign", target=current.reference,
                 request=request, details={"assignee": new_label,
                                           **({"review_status": review_rules.IN_REVIEW}
                                              if started else {})})
    current.refresh_from_db()
    return current


@transaction.atomic
def submission_note_add(
    *, submission: Submission, actor: AbstractBaseUser, text: str,
    request: HttpRequest | None = None,
) -> ReviewEvent:
    """Notes only append, so they need no version check."""
    if not text.strip():
        raise ValidationError(_("Write the note before adding it."), code="required")
    event = ReviewEvent.objects.create(submission=submission, actor=actor,
                                       kind=ReviewEvent.Kind.NOTE, text=text.strip())
    audit_record(actor=actor, action="submission.note", target=submission.reference,
                 request=request)
    return event


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did: the references changed, and those refused with the refusal's
    code (``review_rules.REFUSED_*``), so the page can say exactly which and why."""

    changed: tuple[str, ...]
    refused: dict[str, tuple[str, ...]]

    @property
    def updated(self) -> int:
        return len(self.changed)


#: A bulk action never touches more rows than a page can show.
BULK_LIMIT = 100


@transaction.atomic
def submission_bulk_update(
    *,
    actor: AbstractBaseUser,
    references: list[str],
    action: str,
    assignee: AbstractBaseUser | None = None,
    review_status: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> BulkResult:
    """Assign, or decide (or reopen), the selected submissions, each under the same rules as
    one at a time: a row the workflow refuses is left as it is and reported with the reason.
    Assigning a new submission to someone starts its review (opening it does not)."""
    if len(references) > BULK_LIMIT:
        raise ValidationError(_("Select at most %(limit)d submissions at a time."),
                              code="too_many", params={"limit": BULK_LIMIT})
    rows = list(Submission.objects.select_for_update(of=("self",)).select_related("assignee")
                .filter(reference__in=references).order_by("id").only(
                    "id", "reference", "review_status", "outcome", "outcome_override",
                    "assignee__username", "version", "personal_data_erased_at"))
    now = timezone.now()
    reason = reason.strip()
    refused: dict[str, list[str]] = {}
    missing = sorted(set(references) - {row.reference for row in rows})
    if missing:
        refused[NOT_FOUND] = missing
    events: list[ReviewEvent] = []
    if action == "assign":
        new_id = assignee.pk if assignee is not None else None
        chosen = [row for row in rows if row.assignee_id != new_id]
        refused_unchanged = [row.reference for row in rows if row.assignee_id == new_id]
        if refused_unchanged:
            refused[review_rules.REFUSED_UNCHANGED] = refused_unchanged
        label = assignee.get_username() if assignee is not None else ""
        events = [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                              from_value=row.assignee.get_username() if row.assignee_id else "",
                              to_value=label) for row in chosen]
        Submission.objects.filter(pk__in=[row.pk for row in chosen]).update(
            version=F("version") + 1, updated_at=now, assignee_id=new_id)
        started = review_rules.status_when_opened(review_rules.NEW)
        starting = [row for row in chosen
                    if new_id is not None and row.review_status == review_rules.NEW
                    and row.personal_data_erased_at is None]
        events += [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.STATUS,
                               from_value=row.review_status, to_value=started)
                   for row in starting]
        Submission.objects.filter(pk__in=[row.pk for row in starting]).update(
            review_status=started)
        details: dict = {"assignee": label}
    elif action == "status":
        if review_status not in Submission.ReviewStatus.values:
            raise ValidationError(_("Choose a review status."), code="invalid_status")
        if review_status in review_rules.REQUEST_DECISIONS:
            # A request to each person, with its email: services.info_requests, in bulk too.
            raise ValidationError(refusal_message(review_rules.REFUSED_NEEDS_REQUEST),
                                  code=review_rules.REFUSED_NEEDS_REQUEST)
        chosen = []
        for row in rows:
            code = review_rules.review_refusal(
                status=row.review_status, new_status=review_status, outcome=row.outcome,
                override=row.outcome_override, new_override=row.outcome_override,
                reason_given=bool(reason), erased=row.personal_data_erased_at is not None)
            if code is None:
                chosen.append(row)
            else:
                refused.setdefault(code, []).append(row.reference)
        events = [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.STATUS,
                              from_value=row.review_status, to_value=review_status, text=reason)
                  for row in chosen]
        Submission.objects.filter(pk__in=[row.pk for row in chosen]).update(
            version=F("version") + 1, updated_at=now, review_status=review_status)
        decision_count_add(reviewer=actor, decision=review_status, amount=len(chosen))
        details = {"review_status": review_status}
    else:
        raise ValidationError(_("Choose a bulk action."), code="invalid_action")
    ReviewEvent.objects.bulk_create(events)
    result = BulkResult(changed=tuple(sorted(row.reference for row in chosen)),
                        refused={code: tuple(sorted(refs)) for code, refs in refused.items()})
    audit_record(actor=actor, action="submission.bulk_update", request=request, details={
        "action": action, **details, "updated": result.updated,
        "references": list(result.changed),
        "refused": {code: list(refs) for code, refs in result.refused.items()},
    })
    return result


#: What "Claim next unassigned" may hand out: work nobody has decided yet.
CLAIMABLE_STATUSES = (review_rules.NEW, review_rules.IN_REVIEW)

#: Rows tried before giving up when other reviewers keep winning the race (SQLite only).
_CLAIM_ATTEMPTS = 20


@transaction.atomic
def submission_claim_next(*, actor: AbstractBaseUser, candidates: QuerySet,
                          order: list[str], request: HttpRequest | None = None,
                          ) -> Submission | None:
    """Assign to ``actor`` the first unassigned, undecided submission of ``candidates`` (the
    reviewer's filtered queue, in ``order``), and start its review; None when none is left.

    Two reviewers who click at once get different submissions: on PostgreSQL the first locks
    its row and the second's ``SKIP LOCKED`` passes over it; on SQLite, which has no row
    locks, the UPDATE only takes a row that is still unassigned, and a loser tries the next."""
    pool = candidates.filter(assignee__isnull=True,
                             review_status__in=CLAIMABLE_STATUSES).order_by(*order)
    claimed_id = None
    if connection.features.has_select_for_update_skip_locked:
        claimed_id = (pool.select_for_update(skip_locked=True, of=("self",))
                      .values_list("id", flat=True).first())
        if claimed_id is not None:
            Submission.objects.filter(pk=claimed_id).update(
                assignee_id=actor.pk, version=F("version") + 1, updated_at=timezone.now())
    else:
        for candidate_id in pool.values_list("id", flat=True)[:_CLAIM_ATTEMPTS]:
            if Submission.objects.filter(pk=candidate_id, assignee__isnull=True).update(
                    assignee_id=actor.pk, version=F("version") + 1,
                    updated_at=timezone.now()):
                claimed_id = candidate_id
                break
    if claimed_id is None:
        return None
    claimed = Submission.objects.get(pk=claimed_id)
    ReviewEvent.objects.create(submission=claimed, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                               to_value=actor.get_username())
    started = _start_review(submission=claimed, actor=actor)
    audit_record(actor=actor, action="submission.claim", target=claimed.reference,
                 request=request, details={"review_status": review_rules.IN_REVIEW}
                 if started else {})
    claimed.refresh_from_db()
    return claimed
