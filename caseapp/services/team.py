"""Running a team of staff accounts (issue 20): invitations, roles, deactivation, a member's
own settings. Every change is appended to the audit log in the same transaction.

Staff emails are not registrant messages: they are sent with Django's ``send_mail`` after
the change commits, and the link's token lives only in that email (the table keeps its hash).
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caseapp.crypto import keyed_digest
from caseapp.models import StaffInvitation, StaffProfile
from caseapp.selectors.team import ROLES
from caseapp.services.audit import audit_record
from caseapp.services.staff_accounts import staff_sessions_end


def invitation_token_hash(token: str) -> str:
    return keyed_digest(token, purpose="staff invitation")


def staff_profile_get(*, user: AbstractBaseUser) -> StaffProfile:
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    return profile


def _invitation_open(*, user: AbstractBaseUser, actor: AbstractBaseUser | None) -> str:
    """Close the user's open links and make a new one; the token is returned, never stored."""
    now = timezone.now()
    StaffInvitation.objects.filter(user=user, closed_at__isnull=True).update(closed_at=now)
    token = secrets.token_urlsafe(32)
    StaffInvitation.objects.create(
        user=user, token_hash=invitation_token_hash(token), invited_by=actor,
        expires_at=now + datetime.timedelta(hours=settings.CASEAPP_INVITATION_HOURS))
    return token


def _invitation_email(*, user: AbstractBaseUser, token: str, actor: AbstractBaseUser) -> None:
    link = settings.CASEAPP_SITE_URL + reverse("staff:invitation", args=[token])
    language = staff_profile_get(user=user).language
    with translation.override(language):
        subject = gettext("You are invited to the case team's workspace")
        body = gettext(
            "%(inviter)s invited you to the staff workspace as %(username)s.\n\n"
            "Choose your password here (the link works once, for %(hours)d hours):\n"
            "%(link)s\n\n"
            "You will then set up two-factor sign-in with an authenticator app on your "
            "phone. If you did not expect this email, ignore it.\n"
        ) % {"inviter": actor.get_username(), "username": user.get_username(),
             "hours": int(settings.CASEAPP_INVITATION_HOURS), "link": link}
    recipient = user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


def _role_set(user: AbstractBaseUser, role: str) -> None:
    if role not in ROLES:
        raise ValidationError(_("Choose one of the roles offered."), code="unknown_role")
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))


@transaction.atomic
def staff_invite(*, actor: AbstractBaseUser, username: str, email: str, role: str,
                 request: HttpRequest | None = None) -> AbstractBaseUser:
    """A new account, inactive until the invitee sets a password through the emailed link."""
    User = get_user_model()
    if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
        raise ValidationError(_("That username is taken: choose another."), code="taken")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("A staff account already has that email address."),
                              code="email_taken")
    user = User.objects.create_user(username, email=email, password=None, is_active=False)
    _role_set(user, role)
    staff_profile_get(user=user)
    token = _invitation_open(user=user, actor=actor)
    _invitation_email(user=user, token=token, actor=actor)
    audit_record(actor=actor, action="staff.invite", target=username,
                 details={"role": role}, request=request)
    return user


@transaction.atomic
def staff_invitation_resend(*, actor: AbstractBaseUser, user: AbstractBaseUser,
                            request: HttpRequest | None = None) -> None:
    """A new link for someone who has not accepted yet; the old link stops working."""
    if user.has_usable_password():
        raise ValidationError(_("This person has already accepted their invitation."),
                              code="already_accepted")
    token = _invitation_open(user=user, actor=actor)
    _invitation_email(user=user, token=token, actor=actor)
    audit_record(actor=actor, action="staff.invite_resend", target=user.get_username(),
                 request=request)


def staff_invitation_find(*, token: str) -> StaffInvitation | None:
    """The open, unexpired invitation this token belongs to, or None."""
    return (StaffInvitation.objects.select_related("user")
            .filter(token_hash=invitation_token_hash(token), closed_at__isnull=True,
                    expires_at__gt=timezone.now()).first())


@transaction.atomic
def staff_invitation_accept(*, token: str, password: str,
                            request: HttpRequest | None = None) -> AbstractBaseUser:
    """Set the invitee's first password and activate the account; the link works once (the
    row is closed by a conditional update, so two tabs cannot both use it)."""
    invitation = staff_invitation_find(token=token)
    if invitation is None or not StaffInvitation.objects.filter(
            pk=invitation.pk, closed_at__isnull=True).update(closed_at=timezone.now()):
        raise ValidationError(_("This invitation link has expired or was already used. Ask "
                                "your administrator to send a new one."), code="invalid_link")
    user = invitation.user
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    audit_record(actor=user, action="staff.invite_accept", target=user.get_username(),
                 request=request)
    return user


@transaction.atomic
def staff_role_change(*, actor: AbstractBaseUser, user: AbstractBaseUser, role: str,
                      request: HttpRequest | None = None) -> None:
    """A new role; their sessions end (caseapp.apps), so what they may do starts afresh."""
    before = [g for g in user.groups.values_list("name", flat=True) if g in ROLES]
    if before == [role]:
        return
    if user.pk == actor.pk:
        raise ValidationError(_("Ask another administrator to change your own role."),
                              code="own_role")
    _role_set(user, role)
    audit_record(actor=actor, action="staff.role_change", target=user.get_username(),
                 details={"from": before, "to": role}, request=request)


@transaction.atomic
def staff_deactivate(*, actor: AbstractBaseUser, user: AbstractBaseUser,
                     request: HttpRequest | None = None) -> int:
    """No more sign-ins, and every session of theirs ends now; returns how many ended."""
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    user.is_active = False
    user.save(update_fields=["is_active"])
    StaffInvitation.objects.filter(user=user, closed_at__isnull=True).update(
        closed_at=timezone.now())
    ended = staff_sessions_end(user_ids={user.pk})
    audit_record(actor=actor, action="staff.deactivate", target=user.get_username(),
                 details={"sessions_ended": ended}, request=request)
    return ended


@transaction.atomic
def staff_reactivate(*, actor: AbstractBaseUser, user: AbstractBaseUser,
                     request: HttpRequest | None = None) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="staff.reactivate", target=user.get_username(),
                 request=request)


@transaction.atomic
def staff_language_set(*, user: AbstractBaseUser, language: str,
                       request: HttpRequest | None = None) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."), code="language")
    profile = staff_profile_get(user=user)
    profile.language = language
    profile.save(update_fields=["language"])
    audit_record(actor=user, action="staff.language", target=user.get_username(),
                 details={"language": language}, request=request)


@transaction.atomic
def staff_password_changed(*, user: AbstractBaseUser, how: str,
                           request: HttpRequest | None = None) -> None:
    """After Django's own views set a password (``how``: "change" or "reset"): recorded, and
    a printed first password (``ensure_admin``) no longer needs replacing."""
    StaffProfile.objects.filter(user=user, must_change_password=True).update(
        must_change_password=False)
    audit_record(actor=user if how == "change" else None, action=f"auth.password_{how}",
                 target=user.get_username(), request=request)
