"""The case record as supervisors edit it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from caseapp.models import Case
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import StaleEditError

CASE_EDITABLE_FIELDS = (
    "status", "status_changed_on", "docket_checked_on",
    *(f"{Case.status_text_field(status)}{suffix}" for status in Case.Status.values
      for suffix in ("", "_es")),
    "status_note", "status_note_es", "registration_open",
    "registration_closed_message", "registration_closed_message_es", "sca_reference_date",
    "firm_name", "firm_address", "firm_email", "firm_phone", "firm_attorney", "firm_bar_states",
    "advertising_label", "firm_is_example", "draft_retention_hours", "purge_after_days",
    "legal_hold", "closed_on", "info_reply_days",
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
