"""Every write caseapp makes: functions named <entity>_<action>, each one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from caseapp import crypto, eligibility, wording
from caseapp.models import Case, DailyCount, Submission

#: No 0/O, 1/I/L or U/V: a reference is read aloud over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REFERENCE_PREFIX = "LI"


def reference_generate() -> str:
    """``LI-XXXX-XXXX`` from a 29-letter alphabet: 29**8 ≈ 5 × 10**11, drawn by ``secrets``."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


def daily_count_increment(*, metric: str, amount: int = 1) -> None:
    """Add to today's anonymous counter; safe when two workers count at once."""
    day = timezone.localdate()
    with transaction.atomic():
        updated = DailyCount.objects.filter(day=day, metric=metric).update(
            count=F("count") + amount
        )
        if updated:
            return
        try:
            with transaction.atomic():
                DailyCount.objects.create(day=day, metric=metric, count=amount)
        except IntegrityError:
            DailyCount.objects.filter(day=day, metric=metric).update(count=F("count") + amount)


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
    if determination.outcome not in (eligibility.Outcome.ELIGIBLE,
                                     eligibility.Outcome.NEEDS_REVIEW):
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
                    email_index=crypto.blind_index(crypto.normalise_email(email)),
                    name_index=crypto.blind_index(crypto.normalise_name(full_name)),
                    name_state_index=crypto.blind_index(
                        f"{crypto.normalise_name(full_name)}|{state}"
                    ),
                )
                daily_count_increment(metric=DailyCount.Metric.REGISTERED)
                return submission, True
        except IntegrityError:
            # Either a concurrent post with the same key won (return its row) or, once in
            # ~10**11, the reference collided (draw another).
            existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
    raise RuntimeError("could not draw a unique reference")
