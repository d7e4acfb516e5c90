"""Requests for information (a claims administrator's deficiency notice): the reviewer asks,
the person is emailed at once, reminded once, and answers at /manage/."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from caseapp import eligibility, review_rules
from caseapp.models import (
    AuditEvent,
    InfoRequest,
    InfoRequestReason,
    Message,
    ReviewEvent,
    Submission,
)
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import submission_locked
from caseapp.services.email import message_enqueue
from caseapp.services.review import BULK_LIMIT, NOT_FOUND, BulkResult, submission_review
from caseapp.services.submits import BULK_INFO_REQUEST, submit_once

#: One reminder, this long after the request, if the person has not answered.
REMINDER_AFTER = datetime.timedelta(days=7)


def info_request_reply_by(*, case, today: datetime.date | None = None) -> datetime.date:
    """The date the person is asked to answer by: the case record's number of days on."""
    return (today or timezone.localdate()) + datetime.timedelta(days=case.info_reply_days)


def _email_text(info_request: InfoRequest, *, reminder: bool) -> tuple[str, str]:
    """The subject and body in the person's language; the message keeps them sealed, so the
    email says what was asked even if the reasons' wording is edited later."""
    submission = info_request.submission
    with translation.override(submission.language):
        subject = (_("Reminder: the firm needs more information for your registration")
                   if reminder else _("The firm needs more information for your registration"))
        body = render_to_string("caseapp/email/_info_request_body.txt", {
            "reminder": reminder,
            "reasons": [reason.in_language("public_text", submission.language)
                        for reason in info_request.reasons.all()],
            "note": info_request.note,
            # As the public pages write dates: "September 18, 2026", "18 de septiembre de 2026".
            "reply_by": dateformat.format(info_request.reply_by, _("F j, Y")),
        })
    return subject, body.strip()


@transaction.atomic
def info_request_send(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    reasons: Sequence[InfoRequestReason],
    note: str = "",
    request: HttpRequest | None = None,
) -> InfoRequest:
    """Ask the person for information: the submission moves to "needs information" (the
    reasons are the decision's reason on the timeline), the email is queued in this
    transaction, and one reminder is scheduled. A submission nobody had is now the asker's,
    so the answer comes back to their work."""
    if not reasons:
        raise ValidationError(_("Choose at least one thing the person needs to send."),
                              code="reason_required")
    current = submission_locked(submission_id=submission.pk, expected_version=expected_version)
    if current.personal_data_erased_at is not None or not current.email:
        raise ValidationError(_("This person's contact details were erased: nothing can be "
                                "sent."), code="erased")
    reason_names = "; ".join(reason.name for reason in reasons)
    # The request first: "needs information" is only ever set together with it.
    info_request = InfoRequest.objects.create(
        submission=current, requested_by=actor, note=note.strip(),
        reply_by=info_request_reply_by(case=current.case))
    info_request.reasons.set(reasons)
    current = submission_review(
        submission=current, actor=actor, expected_version=expected_version,
        review_status=review_rules.NEEDS_INFO, outcome_override=current.outcome_override,
        override_reason=reason_names, info_request=info_request, request=request)
    if current.assignee_id is None:
        Submission.objects.filter(pk=current.pk).update(assignee_id=actor.pk,
                                                        version=F("version") + 1)
        ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                                   to_value=actor.get_username())
    subject, body = _email_text(info_request, reminder=False)
    message = message_enqueue(submission=current, kind=Message.Kind.INFO_REQUEST, actor=actor,
                              subject=subject, body=body)
    ReviewEvent.objects.create(submission=current, actor=actor,
                               kind=ReviewEvent.Kind.INFO_REQUESTED, to_value=reason_names[:100],
                               text=note.strip())
    remind_info_request.using(
        run_after=timezone.now() + REMINDER_AFTER).enqueue(info_request.pk)
    audit_record(actor=actor, action="submission.info_request", target=current.reference,
                 request=request, details={"info_request": info_request.pk,
                                           "message": message.pk,
                                           "reasons": [reason.pk for reason in reasons]})
    return info_request


@transaction.atomic
def info_request_send_bulk(
    *,
    actor: AbstractBaseUser,
    references: Sequence[str],
    reasons: Sequence[InfoRequestReason],
    note: str = "",
    submit_token: str,
    request: HttpRequest | None = None,
) -> tuple[BulkResult, bool]:
    """Ask each selected person for the same information (a bulk deficiency notice): one
    request and one email each, made by ``info_request_send`` exactly as one at a time, all
    queued in this transaction. Someone already waiting for an answer, or whose data was
    erased, is left out and reported (``review_rules.request_refusal``). Once per form
    (``submit_token``): a second submit sends nothing and returns the first one's result;
    the second value says whether this call sent."""
    if not reasons:
        raise ValidationError(_("Choose at least one thing the person needs to send."),
                              code="reason_required")
    if len(references) > BULK_LIMIT:
        raise ValidationError(_("Select at most %(limit)d submissions at a time."),
                              code="too_many", params={"limit": BULK_LIMIT})
    event_id, sent = submit_once(
        action=BULK_INFO_REQUEST, key=submit_token,
        perform=lambda: _send_each(actor=actor, references=references, reasons=reasons,
                                   note=note, request=request).pk)
    details = AuditEvent.objects.get(pk=event_id).details
    return BulkResult(changed=tuple(details["references"]),
                      refused={code: tuple(refs) for code, refs in details["refused"].items()}
                      ), sent


def _send_each(*, actor: AbstractBaseUser, references: Sequence[str],
               reasons: Sequence[InfoRequestReason], note: str,
               request: HttpRequest | None) -> AuditEvent:
    # Locked in one order up front, so two bulk requests over the same rows cannot deadlock.
    rows = list(Submission.objects.select_for_update(of=("self",)).filter(
        reference__in=references).order_by("id").only(
            "id", "reference", "review_status", "version", "personal_data_erased_at"))
    refused: dict[str, list[str]] = {}
    if missing := sorted(set(references) - {row.reference for row in rows}):
        refused[NOT_FOUND] = missing
    changed = []
    for row in rows:
        code = review_rules.request_refusal(status=row.review_status,
                                            erased=row.personal_data_erased_at is not None)
        if code is None:
            try:  # each request is its own savepoint: one refused leaves the others sent
                info_request_send(submission=row, actor=actor, expected_version=row.version,
                                  reasons=reasons, note=note, request=request)
            except ValidationError as error:
                code = error.code or review_rules.REFUSED_TRANSITION
        if code is None:
            changed.append(row.reference)
        else:
            refused.setdefault(code, []).append(row.reference)
    return audit_record(actor=actor, action="submission.bulk_info_request", request=request,
                        details={"updated": len(changed), "references": sorted(changed),
                                 "refused": {code: sorted(refs)
                                             for code, refs in refused.items()},
                                 "reasons": [reason.pk for reason in reasons]})


@transaction.atomic
def info_request_remind(*, info_request_id: int) -> str:
    """Send the one reminder, if the request is still the open one and unanswered a week on.
    A conditional UPDATE claims it, so a task run twice (or by two workers) reminds once."""
    now = timezone.now()
    claimed = InfoRequest.objects.filter(
        pk=info_request_id, answered_at__isnull=True, reminded_at__isnull=True,
        requested_at__lte=now - REMINDER_AFTER,
        submission__review_status=review_rules.NEEDS_INFO,
        submission__personal_data_erased_at__isnull=True,
    ).update(reminded_at=now)
    if not claimed:
        return "not due"
    info_request = InfoRequest.objects.select_related("submission__case").get(pk=info_request_id)
    newer = InfoRequest.objects.filter(submission=info_request.submission_id,
                                       requested_at__gt=info_request.requested_at).exists()
    if newer:
        return "superseded"
    subject, body = _email_text(info_request, reminder=True)
    message_enqueue(submission=info_request.submission, kind=Message.Kind.INFO_REMINDER,
                    subject=subject, body=body)
    ReviewEvent.objects.create(submission=info_request.submission,
                               kind=ReviewEvent.Kind.INFO_REMINDED)
    audit_record(actor=None, action="submission.info_reminder",
                 target=info_request.submission.reference,
                 details={"info_request": info_request.pk})
    return "reminded"


@task()
def remind_info_request(info_request_id: int) -> str:
    """The one reminder, as a task beside what it runs (ids only, never personal data)."""
    return info_request_remind(info_request_id=info_request_id)


def info_request_open(*, submission: Submission) -> InfoRequest | None:
    """The request the person can still answer: the latest, while it waits for them."""
    if submission.review_status != review_rules.NEEDS_INFO:
        return None
    return (InfoRequest.objects.filter(submission=submission, answered_at__isnull=True)
            .prefetch_related("reasons").order_by("-requested_at", "-id").first())


@transaction.atomic
def info_request_answer(
    *,
    submission: Submission,
    answer: str,
    answers: Mapping[str, str] | None = None,
    request: HttpRequest | None = None,
) -> InfoRequest:
    """The person's answer at /manage/ (sealed), and any change to their answers to the
    questions, re-evaluated by the current rules (stamped with their version). The
    registration goes back to its reviewer as "Information received"."""
    current = Submission.objects.select_for_update().get(pk=submission.pk)
    info_request = info_request_open(submission=current)
    if info_request is None:
        raise ValidationError(_("The firm is not waiting for information from you."),
                              code="no_request")
    answer = answer.strip()
    if not answer:
        raise ValidationError(_("Write your answer to the firm's request."), code="required")
    changes: dict = {"review_status": review_rules.INFO_RECEIVED}
    events = []
    if answers:
        merged = eligibility.applicable_answers({**current.answers, **answers})
        if merged != current.answers:
            determination = eligibility.evaluate(merged)
            changes.update(answers=merged, outcome=determination.outcome.value,
                           estimated_damages=determination.estimated_damages,
                           rules_version=determination.rules_version)
            events.append(ReviewEvent(
                submission=current, kind=ReviewEvent.Kind.REGISTRANT,
                from_value=f"{current.outcome} ({current.rules_version})",
                to_value=f"answers changed: {determination.outcome.value} "
                         f"({determination.rules_version})"[:100]))
    events.append(ReviewEvent(submission=current, kind=ReviewEvent.Kind.STATUS,
                              from_value=current.review_status,
                              to_value=review_rules.INFO_RECEIVED))
    events.append(ReviewEvent(submission=current, kind=ReviewEvent.Kind.INFO_RECEIVED,
                              text=answer))
    Submission.objects.filter(pk=current.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes)
    ReviewEvent.objects.bulk_create(events)
    InfoRequest.objects.filter(pk=info_request.pk).update(answered_at=timezone.now(),
                                                          answer=answer)
    audit_record(actor=None, action="submission.info_answer", target=current.reference,
                 request=request, details={"info_request": info_request.pk,
                                           "answers_changed": "answers" in changes})
    info_request.refresh_from_db()
    return info_request


@transaction.atomic
def info_request_reason_save(*, reason: InfoRequestReason | None, actor: AbstractBaseUser,
                             name: str, public_text: str, public_text_es: str, active: bool,
                             request: HttpRequest | None = None) -> InfoRequestReason:
    """Add or edit a reason supervisors offer reviewers; both languages are required."""
    if not public_text.strip() or not public_text_es.strip():
        raise ValidationError(_("Write what the person reads in English and in Spanish."),
                              code="wording_required")
    reason = reason or InfoRequestReason()
    reason.name, reason.active = name.strip(), active
    reason.public_text, reason.public_text_es = public_text.strip(), public_text_es.strip()
    reason.save()
    audit_record(actor=actor, action="info_request_reason.save", target=str(reason.pk),
                 request=request, details={"name": reason.name, "active": active})
    return reason
