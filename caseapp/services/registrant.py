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
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task

from caseapp import crypto, ratelimit
from caseapp.models import AccessCode, ManageSession, Message, ReviewEvent, Submission
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


class EmailChangeLimited(Exception):
    """Too many address changes for this registration, or to this new address."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _same_email(old: str, new: str) -> bool:
    return crypto.normalise_email(old) == crypto.normalise_email(new)


@transaction.atomic
def submission_contact_correct(
    *, submission: Submission, changes: dict[str, str], source: str,
    request: HttpRequest | None = None,
) -> list[str]:
    """Apply the registrant's own corrections; returns the names of the fields changed.

    The blind indexes and the possible-duplicate flag follow the new values. An address that
    differs only in letter case is not a change. A new address is limited (per registration
    and per new address, ``EmailChangeLimited``), unconfirmed, sent its own confirmation and
    not used for sign-in until confirmed; the old address is told at once. The timeline and
    the audit log say which fields changed and from where (``source``), never the values.
    """
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    current = Submission.objects.select_for_update().get(pk=submission.pk)
    changed = [field for field, value in changes.items() if getattr(current, field) != value
               and not (field == "email" and _same_email(current.email, value))]
    if not changed or current.personal_data_erased_at is not None:
        return []
    old_email = current.email
    if "email" in changed:
        # Limits before anything is written: the firm's mail server must not become a tool
        # for mailing strangers (issue 21: ten addresses in 19 s).
        rate = ratelimit.Rate.parse(settings.CASEAPP_EMAIL_CHANGE_RATE)
        waits = [ratelimit.hit(scope="email-change", key=str(current.pk), rate=rate),
                 ratelimit.hit(scope="email-change-to", rate=rate, key=crypto.keyed_digest(
                     crypto.normalise_email(changes["email"]), purpose="rate limit email"))]
        refused = [wait for wait in waits if wait is not None]
        if refused:
            _audit(action="submission.correct_limited", target=current.reference,
                   request=request)
            raise EmailChangeLimited(max(refused))
    for field in changed:
        setattr(current, field, changes[field])
    indexes = submission_indexes(full_name=current.full_name, email=current.email,
                                 state=current.state, phone=current.phone)
    email_changed = "email" in changed
    for field, value in indexes.items():
        setattr(current, field, value)
    update_fields = [*changed, *indexes, "updated_at"]
    if email_changed:
        current.email_confirmed_at = None
        current.email_change_unconfirmed = True
        update_fields += ["email_confirmed_at", "email_change_unconfirmed"]
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
                 details={"fields": changed, "source": source}, request=request,
                 by_registrant=True)
    if email_changed:
        # A confirmation not yet sent would go to the new address with an old purpose, and a
        # sign-in code not yet used was sent to the old one.
        Message.objects.filter(submission=current, kind=Message.Kind.CONFIRMATION,
                               status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, last_reply="not sent: the address was corrected")
        AccessCode.objects.filter(submission=current, used_at__isnull=True).delete()
        if old_email:
            message_enqueue(submission=current, kind=Message.Kind.EMAIL_CHANGED,
                            to_address=old_email)
        if current.email:
            message_enqueue(submission=current, kind=Message.Kind.CONFIRMATION)
    submission.refresh_from_db()
    return changed


def confirmation_resend(*, submission: Submission,
                        request: HttpRequest | None = None) -> int | None:
    """Send the confirmation email again; None when sent, else the seconds to wait (limited
    per registration, so the button cannot flood an inbox)."""
    if submission.email_confirmed_at is not None or not submission.email:
        return None
    wait = ratelimit.hit(scope="confirm-resend", key=str(submission.pk),
                         rate=ratelimit.Rate.parse(settings.CASEAPP_CONFIRM_RESEND_RATE))
    if wait is not None:
        return wait
    with transaction.atomic():
        Message.objects.filter(submission=submission, kind=Message.Kind.CONFIRMATION,
                               status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, last_reply="not sent: a newer one was asked for")
        message_enqueue(submission=submission, kind=Message.Kind.CONFIRMATION)
        _audit(action="submission.confirmation_resend", target=submission.reference,
               request=request)
    return None


def correction_window_open(*, registered_at: float | None, minutes: float) -> bool:
    return registered_at is not None and timezone.now().timestamp() - registered_at < minutes * 60


def _audit(*, action: str, target: str = "", details: dict | None = None,
           request: HttpRequest | None = None) -> None:
    """An audit event for something the public did (no staff actor; never personal data)."""
    audit_record(actor=None, action=action, target=target, details=details, request=request,
                 by_registrant=True)


# --- /manage/: signing in with an emailed code --------------------------------------------------

@dataclass(frozen=True)
class CodeRequest:
    #: The random challenge for the browser's sealed cookie; the code is useless without it.
    challenge: str = ""
    #: Seconds to wait when a rate limit refused the request.
    retry_after: int | None = None


def access_code_request(*, reference: str, email: str, request: HttpRequest) -> CodeRequest:
    """Send a sign-in code when the reference and the email match one registration.

    Whether they match or not, the caller gets a challenge and the person the same page, and
    the server does the same work (one lookup, one code row, one audit row), so neither the
    page nor its timing says who registered. Limits count per reference-and-address pair and
    per client address, never per reference or per address alone: a stranger's wrong tries
    spend their own buckets, not the real person's. A changed address gets no code until it
    is confirmed.
    """
    reference = reference_normalise(reference)
    email_index = crypto.blind_index(crypto.normalise_email(email))
    pair = crypto.keyed_digest(f"{reference}|{email_index}", purpose="manage pair")
    waits = [
        ratelimit.hit(scope="manage-ip", key=client_ip(request),
                      rate=ratelimit.Rate.parse(settings.CASEAPP_MANAGE_RATE_IP)),
        ratelimit.hit(scope="manage-pair", key=pair,
                      rate=ratelimit.Rate.parse(settings.CASEAPP_MANAGE_RATE_PAIR)),
    ]
    submission = Submission.objects.filter(
        Q(email_change_unconfirmed=False) | Q(email_confirmed_at__isnull=False),
        reference=reference, email_index=email_index, personal_data_erased_at__isnull=True,
    ).first()
    target = submission.reference if submission is not None else ""
    refused = [wait for wait in waits if wait is not None]
    if refused:
        _audit(action="manage.code_limited", target=target, request=request)
        return CodeRequest(retry_after=max(refused))
    challenge = secrets.token_urlsafe(24)
    with transaction.atomic():
        # The same rows either way: a code row (without a registration it can never be used)
        # and one task; the worker queues the email only for a match (access_code_send).
        access = AccessCode.objects.create(
            submission=submission, challenge_hash=challenge_hash(challenge),
            expires_at=timezone.now() + datetime.timedelta(
                minutes=settings.CASEAPP_MANAGE_CODE_MINUTES),
        )
        access_code_dispatch.enqueue(access.pk)
        _audit(action="manage.code_requested", target=target,
               details={"matched": submission is not None}, request=request)
    return CodeRequest(challenge=challenge)


CODE_RE = re.compile(r"[0-9]{6}")


@transaction.atomic
def access_code_send(*, access_code_id: int) -> str:
    """The worker's half of a code request: queue the sign-in email when the request matched
    a registration that still has its data; say what was done."""
    access = (AccessCode.objects.select_for_update(of=("self",)).select_related("submission")
              .filter(pk=access_code_id, message__isnull=True).first())
    if access is None or access.submission is None:
        return "no registration"
    if access.submission.personal_data_erased_at is not None:
        return "erased"
    access.message = message_enqueue(submission=access.submission,
                                     kind=Message.Kind.ACCESS_CODE)
    access.save(update_fields=["message"])
    return "queued"


@task()
def access_code_dispatch(access_code_id: int) -> str:
    """Issue 21: a match answered 2.4 ms slower than a miss when the request queued the email
    itself; now the request does the same work either way and the worker does the rest."""
    return access_code_send(access_code_id=access_code_id)


@dataclass(frozen=True)
class CodeCheck:
    #: The registration signed in to, when the code was right.
    submission: Submission | None = None
    #: Too many wrong codes for this request (or from this client): a new code is needed.
    too_many: bool = False


@transaction.atomic
def access_code_verify(*, challenge: str, code: str, request: HttpRequest) -> CodeCheck:
    """Check a code. Wrong, expired and used look the same to the caller; too many wrong tries
    is told apart, so the person knows to ask for a new code (the audit log says which).

    A right code proves the person reads the address it was sent to: an unconfirmed address
    becomes confirmed."""
    code = re.sub(r"\s", "", code)
    wait = ratelimit.hit(scope="manage-code-ip", key=client_ip(request),
                         rate=ratelimit.Rate.parse(settings.CASEAPP_MANAGE_RATE_IP))
    access = (AccessCode.objects.select_for_update(of=("self",)).select_related("submission")
              .filter(challenge_hash=challenge_hash(challenge)).first() if challenge else None)
    if access is None:
        _audit(action="manage.code_refused", details={"reason": "no request"}, request=request)
        return CodeCheck(too_many=wait is not None)
    now = timezone.now()
    submission = access.submission
    too_many = wait is not None or access.failed_attempts >= settings.CASEAPP_MANAGE_CODE_TRIES
    reason = (
        "rate limited" if wait is not None
        else "used" if access.used_at is not None
        else "expired" if access.expires_at <= now
        else "too many tries" if too_many
        else "not sent yet" if not access.code_hash or submission is None
        else "erased" if submission.personal_data_erased_at is not None
        else "wrong" if not (CODE_RE.fullmatch(code) and hmac.compare_digest(
            access.code_hash, code_hash(access.challenge_hash, code)))
        else ""
    )
    if reason:
        AccessCode.objects.filter(pk=access.pk).update(failed_attempts=F("failed_attempts") + 1)
        _audit(action="manage.code_refused",
               target=submission.reference if submission is not None else "",
               details={"reason": reason}, request=request)
        return CodeCheck(too_many=too_many or (
            reason == "wrong"
            and access.failed_attempts + 1 >= settings.CASEAPP_MANAGE_CODE_TRIES))
    AccessCode.objects.filter(pk=access.pk).update(used_at=now)
    if submission.email_confirmed_at is None:
        # Codes go only to the current address (a change deletes unused ones), so this is it.
        Submission.objects.filter(pk=submission.pk).update(
            email_confirmed_at=now, email_change_unconfirmed=False)
        ReviewEvent.objects.create(submission=submission, kind=ReviewEvent.Kind.EMAIL_CONFIRMED)
        submission.email_confirmed_at = now
        submission.email_change_unconfirmed = False
    _audit(action="manage.signed_in", target=submission.reference, request=request)
    return CodeCheck(submission=submission)


# --- /manage/: the signed-in visit, held on the server ------------------------------------------

def _session_key_hash(key: str) -> str:
    # The key is random and long: a plain hash is enough, as for the sign-in challenge.
    return challenge_hash(key)


def manage_session_start(*, submission: Submission) -> str:
    """Open a signed-in visit; returns the random key for the browser's sealed cookie."""
    key = secrets.token_urlsafe(32)
    ManageSession.objects.create(
        submission=submission, key_hash=_session_key_hash(key),
        expires_at=timezone.now() + datetime.timedelta(
            minutes=settings.CASEAPP_MANAGE_SESSION_MINUTES))
    return key


def manage_session_submission(*, key: str) -> Submission | None:
    """The registration a live visit is signed in to, or None (ended, expired, erased)."""
    if not isinstance(key, str) or not key:
        return None
    now = timezone.now()
    started_after = now - datetime.timedelta(minutes=settings.CASEAPP_MANAGE_SESSION_MINUTES)
    session = (ManageSession.objects.select_related("submission__case")
               .filter(key_hash=_session_key_hash(key), ended_at__isnull=True, expires_at__gt=now,
                       created_at__gt=started_after,
                       submission__personal_data_erased_at__isnull=True).first())
    return session.submission if session is not None else None


def manage_session_end(*, key: str, request: HttpRequest | None = None) -> None:
    """Sign out: the visit ends on the server, so a copy of the cookie opens nothing."""
    if not isinstance(key, str) or not key:
        return
    ended = ManageSession.objects.filter(
        key_hash=_session_key_hash(key), ended_at__isnull=True).update(ended_at=timezone.now())
    if ended:
        _audit(action="manage.signed_out", request=request)


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
    ManageSession.objects.filter(submission=submission).delete()
