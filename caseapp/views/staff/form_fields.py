"""Form pieces several staff pages share."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

ANY = [("", _("Any"))]

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewerChoices:
    """A form whose ``assignee`` choices are the reviewers the page has already read
    (``staff_reviewers``), after ``first`` choices of its own; ``self.reviewers``
    maps each choice back to its user. A model choice field would read them again, through a
    server-side cursor on PostgreSQL."""

    def _offer_reviewers(self, reviewers, first: list) -> None:
        self.reviewers = {str(user.pk): user for user in reviewers}
        self.fields["assignee"].choices = first + [
            (pk, user.get_username()) for pk, user in self.reviewers.items()
        ]
