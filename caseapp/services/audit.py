"""The audit log's one writer: every staff action and sign-in appends here."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from caseapp import crypto
from caseapp.models import AuditEvent
from caseapp.ratelimit import client_ip


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: str = "",
    details: dict | None = None,
    request: HttpRequest | None = None,
    note: str = "",
    by_registrant: bool = False,
) -> AuditEvent:
    """Append one audit event. Never put personal data of the public in ``details``; free
    text a staff member typed goes in ``note``, which is sealed.

    A registrant's own action (``by_registrant``) keeps a keyed hash of their network address,
    not the address: the privacy page says so, and it still shows one network behind many
    tries."""
    user = actor if actor is not None and actor.is_authenticated else None
    ip_address = client_ip(request) if request is not None else None
    ip_digest = ""
    if by_registrant and ip_address:
        ip_digest = crypto.keyed_digest(ip_address, purpose="audit client address")
        ip_address = None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=user.get_username() if user is not None else "",
        action=action,
        target=target,
        details=details or {},
        ip_address=ip_address or None,
        ip_digest=ip_digest,
        note=note,
    )
