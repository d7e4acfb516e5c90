"""Every write caseapp makes: functions named <entity>_<action>, each one transaction."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from caseapp import crypto, eligibility, wording
from caseapp.models import AuditEvent, Case, DailyCount, ReviewEvent, Submission

#: No 0/O, 1/I/L or U/V: a reference is read aloud over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REFERENCE_PREFIX = "LI"


def reference_generate() -> str:
    """``LI-XXXX-XXXX`` from a 29-letter alphabet: 29**8 ≈ 5 × 10**11, drawn by ``secrets``."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


def daily_count_increment(*, metric: str, amount: int = 1) -> None:
    """Add to today's anonymous counter: one upsert, safe when two workers count at once.

    One statement, because every check counts its start and its finish: the update, then an
    insert on a new day, in a transaction of their own was four round trips and most of the
    cost of a question page."""
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # An anonymous counter on its own need not wait for the disk: PostgreSQL's
        # asynchronous commit can lose the last moments of counts in a server crash, never
        # corrupt them. set_config(..., true) lasts for this statement's own transaction, and
        # the subquery in FROM is always run. Inside another transaction (a registration) it
        # is never used, so what a person submits is always flushed before they are told.
        source = ("SELECT %s, %s, %s FROM (SELECT set_config('synchronous_commit', 'off', true))"
                  " AS relaxed")
    else:
        source = "VALUES (%s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, metric, count) {source} "
            f"ON CONFLICT (day, metric) DO UPDATE SET count = {table}.count + excluded.count",
            [timezone.localdate(), metric, amount],
        )


def submission_indexes(*, full_name: str, email: str, state: str) -> dict[str, str]:
    """The blind indexes that let staff find and match people whose details are encrypted."""
    name = crypto.normalise_name(full_name)
    return {
        "email_index": crypto.blind_index(crypto.normalise_email(email)),
        "name_index": crypto.blind_index(name),
        "name_state_index": crypto.blind_index(f"{name}|{state}"),
    }


def submission_create(
    *,
    case: Case,
    answers: Mapping[str, str],
    full_name: str,
    email: str,
    phone: str,
    state: str,
    language: str,
    idempotency_key: str,
) -> tuple[Submission, bool]:
    """Store one registration; the same ``idempotency_key`` again returns the first one.

    Returns ``(submission, created)``. The outcome is decided here from the answers, never
    taken from the client.
    """
    existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    determination = eligibility.evaluate(answers)
    if determination.outcome not in eligibility.REGISTRABLE_OUTCOMES:
        raise ValueError(f"cannot register a {determination.outcome} result")
    answers = eligibility.applicable_answers(answers)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                submission = Submission.objects.create(
                    case=case,
                    reference=reference_generate(),
                    idempotency_key=idempotency_key,
                    answers=answers,
                    outcome=determination.outcome.value,
                    estimated_damages=determination.estimated_damages,
                    rules_version=determination.rules_version,
                    consent_version=wording.CONSENT_CONTACT.version,
                    attestation_version=wording.ATTESTATION.version,
                    notice_version=wording.PRIVACY_NOTICE.version,
                    language=language,
                    full_name=full_name,
                    email=email,
                    phone=phone,
                    state=state,
                    **submission_indexes(full_name=full_name, email=email, state=state),
                )
                daily_count_increment(metric=DailyCount.Metric.REGISTERED)
                submission_flag_duplicates(submission=submission)
                return submission, True
        except IntegrityError:
            # Either a concurrent post with the same key won (return its row) or, once in
            # ~10**11, the reference collided (draw another).
            existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
    raise RuntimeError("could not draw a unique reference")


# --- staff: review, assignment, notes, duplicates, bulk actions, case record, audit ----------
# Every staff write records an AuditEvent. Writes that staff make from a form they loaded
# earlier carry the version they saw; a mismatch raises StaleEditError instead of overwriting.

#: The review workflow: new → in_review → accepted | rejected | needs_info, and back.
REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    Submission.ReviewStatus.NEW: frozenset({Submission.ReviewStatus.IN_REVIEW}),
    Submission.ReviewStatus.IN_REVIEW: frozenset({
        Submission.ReviewStatus.ACCEPTED, Submission.ReviewStatus.REJECTED,
        Submission.ReviewStatus.NEEDS_INFO,
    }),
    Submission.ReviewStatus.ACCEPTED: frozenset({Submission.ReviewStatus.IN_REVIEW}),
    Submission.ReviewStatus.REJECTED: frozenset({Submission.ReviewStatus.IN_REVIEW}),
    Submission.ReviewStatus.NEEDS_INFO: frozenset({Submission.ReviewStatus.IN_REVIEW}),
}

#: What a reviewer may set as the outcome; blank means "use the automatic outcome".
OVERRIDE_OUTCOMES = (
    eligibility.Outcome.ELIGIBLE.value,
    eligibility.Outcome.NEEDS_REVIEW.value,
    eligibility.Outcome.NOT_ELIGIBLE.value,
)


class StaleEditError(Exception):
    """Someone saved the record after this form was loaded; ``current`` is the fresh row."""

    def __init__(self, current):
        super().__init__("the record changed since the form was loaded")
        self.current = current


def review_status_next(status: str) -> frozenset[str]:
    return REVIEW_TRANSITIONS.get(status, frozenset())


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: str = "",
    details: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one audit event. Never put personal data of the public in ``details``."""
    user = actor if actor is not None and actor.is_authenticated else None
    ip_address = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=user.get_username() if user is not None else "",
        action=action,
        target=target,
        details=details or {},
        ip_address=ip_address or None,
    )


def _submission_locked(*, submission_id: int, expected_version: int) -> Submission:
    current = Submission.objects.select_for_update().get(pk=submission_id)
    if current.version != expected_version:
        raise StaleEditError(current)
    return current


def _submission_bump(*, submission: Submission, expected_version: int, **changes) -> None:
    """Write ``changes`` only if nobody moved the version on; the row lock makes it certain."""
    updated = Submission.objects.filter(pk=submission.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise StaleEditError(Submission.objects.get(pk=submission.pk))


def submission_flag_duplicates(*, submission: Submission) -> int:
    """Flag this submission and every other sharing its email or name + state; return how many
    others match."""
    match = Q(pk__in=[])
    if submission.email_index:
        match |= Q(email_index=submission.email_index)
    if submission.name_state_index:
        match |= Q(name_state_index=submission.name_state_index)
    others = Submission.objects.filter(match).exclude(pk=submission.pk)
    count = others.count()
    if count:
        Submission.objects.filter(match).update(possible_duplicate=True)
        submission.possible_duplicate = True
    return count


def submission_refresh_duplicate_flags() -> int:
    """Recompute every possible-duplicate flag in two set-based queries (for bulk loads)."""
    shared = {
        field: (
            Submission.objects.exclude(**{field: ""}).values(field)
            .annotate(n=Count("id")).filter(n__gt=1).values(field)
        )
        for field in ("email_index", "name_state_index")
    }
    return Submission.objects.filter(
        Q(email_index__in=shared["email_index"])
        | Q(name_state_index__in=shared["name_state_index"])
        | Q(duplicate_of__isnull=False)
    ).exclude(possible_duplicate=True).update(possible_duplicate=True)


@transaction.atomic
def submission_review(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    review_status: str,
    outcome_override: str,
    override_reason: str = "",
    request: HttpRequest | None = None,
) -> Submission:
    """Change the review status and/or the reviewer's outcome; an outcome change needs a reason."""
    current = _submission_locked(submission_id=submission.pk, expected_version=expected_version)
    changes: dict = {}
    events = []
    if review_status != current.review_status:
        if review_status not in review_status_next(current.review_status):
            raise ValidationError(
                _("A submission cannot move from “%(old)s” to “%(new)s”. Choose one of the "
                  "statuses offered."),
                code="invalid_transition",
                params={"old": current.get_review_status_display(), "new": review_status},
            )
        changes["review_status"] = review_status
        events.append(ReviewEvent(submission=current, actor=actor, kind=ReviewEvent.Kind.STATUS,
                                  from_value=current.review_status, to_value=review_status))
    if outcome_override != current.outcome_override:
        if outcome_override and outcome_override not in OVERRIDE_OUTCOMES:
            raise ValidationError(_("Choose one of the outcomes offered."),
                                  code="invalid_outcome")
        if not override_reason.strip():
            raise ValidationError(
                _("Write why you are changing the outcome; the reason is kept with the change."),
                code="override_reason_required",
            )
        changes["outcome_override"] = outcome_override
        changes["override_reason"] = override_reason.strip()
        events.append(ReviewEvent(
            submission=current, actor=actor, kind=ReviewEvent.Kind.OVERRIDE,
            from_value=current.outcome_override or current.outcome,
            to_value=outcome_override or current.outcome, text=override_reason.strip(),
        ))
    if not changes:
        return current
    _submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.bulk_create(events)
    audit_record(actor=actor, action="submission.review", target=current.reference, request=request,
                 details={key: value for key, value in changes.items()
                          if key != "override_reason"})
    current.refresh_from_db()
    return current


@transaction.atomic
def submission_assign(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    assignee: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> Submission:
    current = _submission_locked(submission_id=submission.pk, expected_version=expected_version)
    new_id = assignee.pk if assignee is not None else None
    if new_id == current.assignee_id:
        return current
    old_label = current.assignee.get_username() if current.assignee_id else ""
    new_label = assignee.get_username() if assignee is not None else ""
    _submission_bump(submission=current, expected_version=expected_version, assignee_id=new_id)
    ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                               from_value=old_label, to_value=new_label)
    audit_record(actor=actor, action="submission.assign", target=current.reference,
                 request=request, details={"assignee": new_label})
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


@transaction.atomic
def submission_mark_duplicate(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    duplicate_of: Submission | None,
    request: HttpRequest | None = None,
) -> Submission:
    """Mark ``submission`` as a duplicate of another (``None`` clears the mark)."""
    current = _submission_locked(submission_id=submission.pk, expected_version=expected_version)
    if duplicate_of is not None and duplicate_of.pk == current.pk:
        raise ValidationError(_("A submission cannot be a duplicate of itself."),
                              code="self_duplicate")
    if duplicate_of is not None and Submission.objects.filter(
            pk=duplicate_of.pk, duplicate_of=current.pk).exists():
        raise ValidationError(
            _("%(other)s is already marked as a duplicate of this one. Clear that mark first."),
            code="duplicate_cycle", params={"other": duplicate_of.reference},
        )
    new_id = duplicate_of.pk if duplicate_of is not None else None
    if new_id == current.duplicate_of_id:
        return current
    old_ref = current.duplicate_of.reference if current.duplicate_of_id else ""
    new_ref = duplicate_of.reference if duplicate_of is not None else ""
    changes = {"duplicate_of_id": new_id}
    if duplicate_of is not None:
        changes["possible_duplicate"] = True
        Submission.objects.filter(pk=duplicate_of.pk).update(possible_duplicate=True)
    _submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
                               from_value=old_ref, to_value=new_ref)
    audit_record(actor=actor, action="submission.duplicate", target=current.reference,
                 request=request, details={"duplicate_of": new_ref})
    current.refresh_from_db()
    return current


@dataclass(frozen=True)
class BulkResult:
    updated: int
    skipped: int


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
    request: HttpRequest | None = None,
) -> BulkResult:
    """Assign, or move the review status of, the selected submissions.

    Rows whose status cannot move to ``review_status`` under the workflow are skipped, not
    forced, and counted in the result.
    """
    if len(references) > BULK_LIMIT:
        raise ValidationError(_("Select at most %(limit)d submissions at a time."),
                              code="too_many", params={"limit": BULK_LIMIT})
    rows = list(Submission.objects.select_for_update(of=("self",)).select_related("assignee")
                .filter(reference__in=references).only(
                    "id", "reference", "review_status", "assignee__username", "version"))
    now = timezone.now()
    if action == "assign":
        new_id = assignee.pk if assignee is not None else None
        chosen = [row for row in rows if row.assignee_id != new_id]
        label = assignee.get_username() if assignee is not None else ""
        events = [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                              from_value=row.assignee.get_username() if row.assignee_id else "",
                              to_value=label) for row in chosen]
        changes: dict = {"assignee_id": new_id}
        details: dict = {"assignee": label}
    elif action == "status":
        if review_status not in Submission.ReviewStatus.values:
            raise ValidationError(_("Choose a review status."), code="invalid_status")
        chosen = [row for row in rows if review_status in review_status_next(row.review_status)]
        events = [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.STATUS,
                              from_value=row.review_status, to_value=review_status)
                  for row in chosen]
        changes = {"review_status": review_status}
        details = {"review_status": review_status}
    else:
        raise ValidationError(_("Choose a bulk action."), code="invalid_action")
    Submission.objects.filter(pk__in=[row.pk for row in chosen]).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    ReviewEvent.objects.bulk_create(events)
    result = BulkResult(updated=len(chosen), skipped=len(rows) - len(chosen))
    audit_record(actor=actor, action="submission.bulk_update", request=request, details={
        "action": action, **details, "updated": result.updated, "skipped": result.skipped,
        "references": sorted(row.reference for row in chosen),
    })
    return result


CASE_EDITABLE_FIELDS = (
    "status", "status_note", "status_note_es", "registration_open",
    "registration_closed_message", "registration_closed_message_es", "sca_reference_date",
    "firm_name", "firm_email", "firm_phone", "draft_retention_hours", "purge_after_days",
    "legal_hold", "closed_on",
)


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: AbstractBaseUser,
    expected_updated_at: datetime.datetime,
    changes: Mapping[str, object],
    request: HttpRequest | None = None,
) -> Case:
    """Save the case record's editable fields; refuse if it was saved since the form loaded."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.updated_at != expected_updated_at:
        raise StaleEditError(current)
    unknown = set(changes) - set(CASE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changed = {}
    for field, value in changes.items():
        if getattr(current, field) != value:
            changed[field] = [str(getattr(current, field)), str(value)]
            setattr(current, field, value)
    if not changed:
        return current
    current.save()
    audit_record(actor=actor, action="case.update", target=current.slug, request=request,
                 details={"changed": changed})
    return current


# --- trust: erasure on request, retention purge, key rotation ------------------------------

ERASED_FIELDS = {
    "full_name": "", "email": "", "phone": "", "email_index": "", "name_index": "",
    "name_state_index": "", "override_reason": "",
}


def _erase(submissions) -> int:
    """Blank the personal data of these submissions, keeping an anonymous stub for counts."""
    ids = list(submissions.filter(personal_data_erased_at__isnull=True)
               .values_list("id", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        Submission.objects.filter(id__in=chunk).update(
            **ERASED_FIELDS, personal_data_erased_at=now, possible_duplicate=False,
            version=F("version") + 1,
        )
        # Notes are free text a reviewer typed about a person: they go too.
        ReviewEvent.objects.filter(submission_id__in=chunk).exclude(text="").update(text="")
    return len(ids)


@transaction.atomic
def submission_erase_personal_data(
    *, submission: Submission, actor: AbstractBaseUser, reason: str,
    request: HttpRequest | None = None,
) -> None:
    """Delete one person's data on their request; outcome, answers and dates stay for counts."""
    if not reason.strip():
        raise ValidationError(_("Write why the data is being deleted."), code="reason_required")
    erased = _erase(Submission.objects.filter(pk=submission.pk))
    audit_record(actor=actor, action="submission.erase", target=submission.reference,
                 details={"reason": reason.strip(), "erased": erased}, request=request)


@dataclass(frozen=True)
class PurgeResult:
    sessions_deleted: int
    submissions_erased: int
    skipped_for_legal_hold: bool


@transaction.atomic
def retention_purge(*, case: Case, today: datetime.date | None = None) -> PurgeResult:
    """Delete expired sessions; erase a closed case's submissions once its retention has run.

    Sessions are staff sign-ins (a public check keeps its draft in a sealed cookie that
    expires by itself). Nothing of a case on legal hold is erased.
    """
    from django.contrib.sessions.models import Session

    today = today or timezone.localdate()
    sessions_deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    erased = 0
    purge_due = (
        case.status == Case.Status.CLOSED and case.closed_on is not None
        and case.closed_on + datetime.timedelta(days=case.purge_after_days) <= today
    )
    if purge_due and not case.legal_hold:
        erased = _erase(case.submissions.all())
    result = PurgeResult(sessions_deleted, erased, purge_due and case.legal_hold)
    audit_record(actor=None, action="retention.purge", target=case.slug, details={
        "sessions_deleted": sessions_deleted, "submissions_erased": erased,
        "skipped_for_legal_hold": result.skipped_for_legal_hold,
    })
    return result


def field_keys_rotate(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted column under the first key of ``CASEAPP_FIELD_KEYS``.

    Each batch is its own transaction, so a long rotation never holds one huge lock; rows
    read with any listed key and are written with the first, so a rerun is harmless.
    """
    counts = {}
    for model, fields in ((Submission, ["full_name", "email", "phone"]),
                          (ReviewEvent, ["text"])):
        done = 0
        last_id = 0
        while True:
            with transaction.atomic():
                batch = list(model.objects.filter(id__gt=last_id).order_by("id")
                             .only("id", *fields)[:batch_size])
                if not batch:
                    break
                # Decrypted on load with any key; saving encrypts with the first key.
                model.objects.bulk_update(batch, fields)
            done += len(batch)
            last_id = batch[-1].id
        counts[model._meta.label] = done
    audit_record(actor=None, action="field_keys.rotate", details=counts)
    return counts


# --- staff: two-factor sign-in ---------------------------------------------------------------

def staff_totp_device_pending(*, user: AbstractBaseUser):
    """The unconfirmed TOTP device being enrolled (made on first visit to the set-up page)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator",
                                               confirmed=False)


def staff_second_factor_verify(*, request: HttpRequest, device, token: str) -> bool:
    """Check a code (django-otp throttles repeated failures) and mark the session verified."""
    from django_otp import login as otp_login

    if device.verify_token(token):
        otp_login(request, device)
        audit_record(actor=request.user, action="auth.otp_verified", request=request)
        return True
    audit_record(actor=request.user, action="auth.otp_failed", request=request)
    return False


@transaction.atomic
def staff_second_factor_enrol(*, request: HttpRequest, device, token: str) -> bool:
    if not staff_second_factor_verify(request=request, device=device, token=token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=request.user, action="auth.otp_enrolled", request=request)
    return True
