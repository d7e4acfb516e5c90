"""The team page's reads: every staff account with its role, status and second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from caseapp.models import SealedTOTPDevice, StaffInvitation

#: The roles the team page gives, least to most: each is a group shipped by the migrations.
ROLES = ("Reviewer", "Supervisor", "Administrator")


@dataclass(frozen=True)
class TeamMember:
    id: int
    username: str
    email: str
    role: str
    status: str  # "active", "invited", "invitation_expired", "deactivated"
    second_factor: bool
    last_login: datetime | None
    superuser: bool


def member_by_id(*, user_id: int):
    """One staff account (any status), or None."""
    return get_user_model().objects.filter(pk=user_id).first()


def team_members() -> list[TeamMember]:
    """Every staff account, by username (a firm's team is a few dozen at most)."""
    User = get_user_model()
    now = timezone.now()
    users = (User.objects.order_by("username")
             .annotate(has_device=Exists(SealedTOTPDevice.objects.filter(
                 user=OuterRef("pk"), confirmed=True)),
                 invited=Exists(StaffInvitation.objects.filter(
                     user=OuterRef("pk"), closed_at__isnull=True, expires_at__gt=now)))
             .prefetch_related(Prefetch("groups")))
    members = []
    for user in users:
        roles = [g.name for g in user.groups.all() if g.name in ROLES]
        if user.is_active:
            status = "active"
        elif not user.has_usable_password():
            status = "invited" if user.invited else "invitation_expired"
        else:
            status = "deactivated"
        members.append(TeamMember(
            id=user.pk, username=user.get_username(), email=user.email,
            role=max(roles, key=ROLES.index) if roles else "", status=status,
            second_factor=user.has_device,
            last_login=user.last_login, superuser=user.is_superuser))
    return members
