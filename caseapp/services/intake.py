"""Registrations from the public: references, funnel counts, blind indexes, duplicate flags."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from caseapp import crypto, eligibility, wording
from caseapp.models import Case, DailyCount, Message, Submission, SubmissionNameToken
from caseapp.services.email import message_enqueue

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
                submission_name_tokens_store(submission=submission, full_name=full_name)
                daily_count_increment(metric=DailyCount.Metric.REGISTERED)
                submission_flag_duplicates(submission=submission)
                if email:
                    # In this transaction: a registration that rolls back sends nothing.
                    message_enqueue(submission=submission, kind=Message.Kind.CONFIRMATION)
                return submission, True
        except IntegrityError:
            # Either a concurrent post with the same key won (return its row) or, once in
            # ~10**11, the reference collided (draw another).
            existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
    raise RuntimeError("could not draw a unique reference")


def submission_name_tokens_store(*, submission: Submission, full_name: str,
                                 replace: bool = False) -> int:
    """Store the name tokens of ``full_name`` for the submission (``replace``: its old ones go
    first, for a corrected name)."""
    if replace:
        SubmissionNameToken.objects.filter(submission=submission).delete()
    tokens = SubmissionNameToken.objects.bulk_create(
        SubmissionNameToken(submission=submission, token_index=crypto.name_token_index(token))
        for token in crypto.name_tokens(full_name))
    return len(tokens)


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
