"""Saved views as the queue page lists them."""

from __future__ import annotations

from caseapp.models import SavedView


def saved_views_for(*, owner) -> list[SavedView]:
    return list(SavedView.objects.filter(owner=owner).only("id", "name", "query"))
