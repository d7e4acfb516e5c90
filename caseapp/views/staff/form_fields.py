"""Form pieces several staff pages share."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from caseapp.validators import DATE_RANGE_MESSAGE, DATE_RANGE_VALIDATORS, EARLIEST_DATE, LATEST_DATE

ANY = [("", _("Any"))]

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "min": EARLIEST_DATE.isoformat(),
                                     "max": LATEST_DATE.isoformat()}, format="%Y-%m-%d")


class BoundedDateField(forms.DateField):
    """A date within ``validators.EARLIEST_DATE``..``LATEST_DATE``, with one clear message for
    anything else (a year 9999 or a 31 February alike)."""

    default_validators = DATE_RANGE_VALIDATORS
    default_error_messages = {"invalid": DATE_RANGE_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DATE_WIDGET)
        super().__init__(**kwargs)


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


SPANISH_REQUIRED = _("Write this in Spanish too. People who read the pages in Spanish would "
                     "otherwise see the English text.")


class SpanishRequired:
    """A form whose staff-written texts come in English and Spanish pairs (``field`` and
    ``field_es``, listed in ``SPANISH_PAIRS``): an English text without its Spanish version is
    refused, because the Spanish pages would fall back to English (shared/docs/SPANISH.md)."""

    SPANISH_PAIRS: tuple[str, ...] = ()

    def _require_spanish(self) -> None:
        for field in self.SPANISH_PAIRS:
            spanish = f"{field}_es"
            # The Spanish field's own required check would give Django's generic message.
            self.fields[spanish].required = False

    def _check_spanish(self, data: dict) -> None:
        for field in self.SPANISH_PAIRS:
            spanish = f"{field}_es"
            if (data.get(field) or "").strip() and not (data.get(spanish) or "").strip():
                self.add_error(spanish, forms.ValidationError(SPANISH_REQUIRED,
                                                              code="spanish_required"))
