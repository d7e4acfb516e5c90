"""What a registrant does about their own registration, from the confirmation page and from
/manage/: sign in with an emailed code, correct their details, take a copy, withdraw."""

from __future__ import annotations

import datetime
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from caseapp import crypto, ratelimit
from caseapp.models import AccessCode, Message, ReviewEvent, Submission
from caseapp.ratelimit import client_ip
from caseapp.references import reference_normalise
from caseapp.services.access_codes import challenge_hash, code_hash
from caseapp.services.audit import audit_record
from caseapp.services.email import message_enqueue
from caseapp.services.intake import (
    submission_flag_duplicates,
    submission_indexes,
    submission_name_tokens_store,
)
from caseapp.services.privacy import submission_erase_personal_data

CORRECTABLE_FIELDS = ("full_name", "email", "phone", "state")


@transaction.atomic
def submission_contact_correct(
    *, submission: Submission, changes: dict[str, str], source: str,
    request: HttpRequest | None = None,
) -> list[str]:
    """Apply the registrant's own corrections; returns the names of the fields changed.

    The blind indexes and the possible-duplicate flag follow the new values. A new address is
    unconfirmed and is sent its own confirmation email. The timeline and the audit log say
    which fields changed and from where (``source``), never the values.
    """
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    current = Submission.objects.select_for_update().get(pk=submission.pk)
    changed = [field for field, value in changes.items() if getattr(current, field) != value]
    if not changed or current.personal_data_erased_at is not None:
        return []
    for field in changed:
        setattr(current, field, changes[field])
    indexes = submission_indexes(full_name=current.full_name, email=current.email,
                                 state=current.state, phone=current.phone)
    email_changed = indexes["email_index"] != current.email_index
    for field, value in indexes.items():
        setattr(current, field, value)
    update_fields = [*changed, *indexes, "updated_at"]
    if email_changed:
        current.email_confirmed_at = None
        update_fields.append("email_confirmed_at")
    current.save(update_fields=update_fields)
    # Staff forms loaded before this change must not overwrite it.
    Submission.objects.filter(pk=current.pk).update(version=F("version") + 1)
    if "full_name" in changed:
        # Staff search the name's words: the old ones must not find the person any more.
        submission_name_tokens_store(submission=current, full_name=current.full_name,
                                     replace=True)
    submission_flag_duplicates(submission=current)
    ReviewEvent.objects.create(submission=current, kind=ReviewEvent.Kind.REGISTRANT,
                               from_value=source, to_value="corrected " + ", ".join(changed))
    audit_record(actor=None, action="submission.correct", target=current.reference,
                 details={"fields": changed, "source": source}, request=request)
    if email_changed:
        # A confirmation not yet sent would go to the new address with an old purpose.
        Message.objects.filter(submission=current, kind=Message.Kind.CONFIRMATION,
                               status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, last_reply="not sent: the address was corrected")
    if email_changed and current.email:
        message_enqueue(submission=current, kind=Message.Kind.CONFIRMATION)
    submission.refresh_from_db()
    return changed


def correction_window_open(*, registered_at: float | None, minutes: float) -> bool:
    return registered_at is not None and timezone.now().timestamp() - registered_at < minutes * 60


def _audit(*, action: str, target: str = "", details: dict | None = None,
           request: HttpRequest | None = None) -> None:
    """An audit event for something the public did (no staff actor; never personal data)."""
    audit_record(actor=None, action=action, target=target, details=details, request=request)


# --- /manage/: signing in with an emailed code --------------------------------------------------

@dataclass(frozen=True)
class CodeRequest:
    #: The random challenge for the browser's sealed cookie; the code is useless without it.
    challenge: str = ""
    #: Seconds to wait when a rate limit refused the request.
    retry_after: int | None = None


def access_code_request(*, reference: str, email: str, request: HttpRequest) -> CodeRequest:
    """Send a sign-in code when the reference and the email match one registration.

    Whether they match or not, the caller gets a challenge and the person the same page, so
    the form cannot be used to find out who registered. Limits count per client address,
    per reference and per email address (by blind index: no address in a cache key).
    """
    reference = reference_normalise(reference)
    email_index = crypto.blind_index(crypto.normalise_email(email))
    waits = [
        ratelimit.hit(scope=scope, key=key, rate=ratelimit.Rate.parse(rate))
        for scope, key, rate in (
            ("manage-ip", client_ip(request), settings.CASEAPP_MANAGE_RATE_IP),
            ("manage-reference", crypto.blind_index(reference),
             settings.CASEAPP_MANAGE_RATE_REFERENCE),
            ("manage-email", email_index, settings.CASEAPP_MANAGE_RATE_EMAIL),
        )
    ]
    submission = Submission.objects.filter(
        reference=reference, email_index=email_index, personal_data_erased_at__isnull=True,
    ).first() if email_index else None
    target = submission.reference if submission is not None else ""
    refused = [wait for wait in waits if wait is not None]
    if refused:
        _audit(action="manage.code_limited", target=target, request=request)
        return CodeRequest(retry_after=max(refused))
    challenge = secrets.token_urlsafe(24)
    with transaction.atomic():
        if submission is not None:
            message = message_enqueue(submission=submission,
                                                kind=Message.Kind.ACCESS_CODE)
            AccessCode.objects.create(
                submission=submission, challenge_hash=challenge_hash(challenge), message=message,
                expires_at=timezone.now() + datetime.timedelta(
                    minutes=settings.CASEAPP_MANAGE_CODE_MINUTES),
            )
        _audit(action="manage.code_requested", target=target,
               details={"matched": submission is not None}, request=request)
    return CodeRequest(challenge=challenge)


CODE_RE = re.compile(r"[0-9]{6}")


@transaction.atomic
def access_code_verify(*, challenge: str, code: str, request: HttpRequest) -> Submission | None:
    """The registration this code signs in to, or None: wrong, expired, used, or too many
    tries all look the same to the caller (the audit log tells them apart)."""
    code = re.sub(r"\s", "", code)
    wait = ratelimit.hit(scope="manage-code-ip", key=client_ip(request),
                         rate=ratelimit.Rate.parse(settings.CASEAPP_MANAGE_RATE_IP))
    access = (AccessCode.objects.select_for_update().select_related("submission")
              .filter(challenge_hash=challenge_hash(challenge)).first() if challenge else None)
    if access is None:
        _audit(action="manage.code_refused", details={"reason": "no request"}, request=request)
        return None
    now = timezone.now()
    reason = (
        "rate limited" if wait is not None
        else "used" if access.used_at is not None
        else "expired" if access.expires_at <= now
        else "too many tries" if access.failed_attempts >= settings.CASEAPP_MANAGE_CODE_TRIES
        else "not sent yet" if not access.code_hash
        else "erased" if access.submission.personal_data_erased_at is not None
        else "wrong" if not (CODE_RE.fullmatch(code) and hmac.compare_digest(
            access.code_hash, code_hash(access.challenge_hash, code)))
        else ""
    )
    if reason:
        AccessCode.objects.filter(pk=access.pk).update(failed_attempts=F("failed_attempts") + 1)
        _audit(action="manage.code_refused", target=access.submission.reference,
               details={"reason": reason}, request=request)
        return None
    AccessCode.objects.filter(pk=access.pk).update(used_at=now)
    _audit(action="manage.signed_in", target=access.submission.reference, request=request)
    return access.submission


# --- /manage/: what a signed-in registrant can do ----------------------------------------------

def submission_copy_record(*, submission: Submission, form: str,
                           request: HttpRequest | None = None) -> None:
    """Note on the timeline and in the audit log that the person took a copy."""
    ReviewEvent.objects.create(submission=submission, kind=ReviewEvent.Kind.REGISTRANT,
                               from_value="manage", to_value=f"downloaded a copy ({form})")
    _audit(action="submission.copy", target=submission.reference, details={"form": form},
           request=request)


@transaction.atomic
def submission_withdraw(*, submission: Submission, request: HttpRequest | None = None) -> None:
    """The person withdraws: their personal data is erased as the retention rules erase it
    (answers, outcome and dates stay, anonymous, for the counts)."""
    ReviewEvent.objects.create(submission=submission, kind=ReviewEvent.Kind.REGISTRANT,
                               from_value="manage", to_value="withdrew")
    submission_erase_personal_data(
        submission=submission, actor=None, category="person_asked",
        note="withdrawn by the registrant at /manage/", request=request)
    AccessCode.objects.filter(submission=submission).delete()
