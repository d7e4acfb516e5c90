"""Saved views: a reviewer's named filter sets for the queue."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from caseapp.models import SavedView

#: Enough for every queue a reviewer works; more would crowd the queue page.
SAVED_VIEWS_LIMIT = 20


@transaction.atomic
def saved_view_save(*, owner: AbstractBaseUser, name: str, query: str) -> SavedView:
    """Keep ``query`` (the queue's filters and sort, never a search text) under ``name``; the
    same name again replaces it."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the view a name."), code="required")
    existing = SavedView.objects.select_for_update().filter(owner=owner, name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if SavedView.objects.filter(owner=owner).count() >= SAVED_VIEWS_LIMIT:
        raise ValidationError(
            _("You have %(limit)d saved views already. Delete one you no longer use first."),
            code="too_many", params={"limit": SAVED_VIEWS_LIMIT})
    return SavedView.objects.create(owner=owner, name=name, query=query)


@transaction.atomic
def saved_view_delete(*, owner: AbstractBaseUser, view_id: int) -> bool:
    deleted, _rows = SavedView.objects.filter(owner=owner, pk=view_id).delete()
    return bool(deleted)
