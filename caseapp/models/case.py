"""The case record, and the choices its submissions draw on."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseapp import eligibility, review_rules

OUTCOME_CHOICES = [
    (eligibility.Outcome.ELIGIBLE.value, _("Eligible")),
    (eligibility.Outcome.NEEDS_REVIEW.value, _("Needs review")),
    (eligibility.Outcome.NOT_ELIGIBLE.value, _("Not eligible")),
    (eligibility.Outcome.INCOMPLETE.value, _("Incomplete")),
]

#: U.S. states, D.C. and territories by USPS code, plus one choice for everyone else. Names
#: are translated where Spanish has its own (Nueva York, Carolina del Norte).
US_STATES = [
    ("AL", _("Alabama")), ("AK", _("Alaska")), ("AZ", _("Arizona")), ("AR", _("Arkansas")),
    ("CA", _("California")), ("CO", _("Colorado")), ("CT", _("Connecticut")),
    ("DE", _("Delaware")), ("DC", _("District of Columbia")), ("FL", _("Florida")),
    ("GA", _("Georgia")), ("HI", _("Hawaii")), ("ID", _("Idaho")), ("IL", _("Illinois")),
    ("IN", _("Indiana")), ("IA", _("Iowa")), ("KS", _("Kansas")), ("KY", _("Kentucky")),
    ("LA", _("Louisiana")), ("ME", _("Maine")), ("MD", _("Maryland")), ("MA", _("Massachusetts")),
    ("MI", _("Michigan")), ("MN", _("Minnesota")), ("MS", _("Mississippi")), ("MO", _("Missouri")),
    ("MT", _("Montana")), ("NE", _("Nebraska")), ("NV", _("Nevada")), ("NH", _("New Hampshire")),
    ("NJ", _("New Jersey")), ("NM", _("New Mexico")), ("NY", _("New York")),
    ("NC", _("North Carolina")), ("ND", _("North Dakota")), ("OH", _("Ohio")),
    ("OK", _("Oklahoma")), ("OR", _("Oregon")), ("PA", _("Pennsylvania")),
    ("RI", _("Rhode Island")), ("SC", _("South Carolina")), ("SD", _("South Dakota")),
    ("TN", _("Tennessee")), ("TX", _("Texas")), ("UT", _("Utah")), ("VT", _("Vermont")),
    ("VA", _("Virginia")), ("WA", _("Washington")), ("WV", _("West Virginia")),
    ("WI", _("Wisconsin")), ("WY", _("Wyoming")), ("AS", _("American Samoa")), ("GU", _("Guam")),
    ("MP", _("Northern Mariana Islands")), ("PR", _("Puerto Rico")),
    ("VI", _("U.S. Virgin Islands")),
]
OUTSIDE_US = "outside_us"
STATE_CHOICES = [*US_STATES, (OUTSIDE_US, _("Outside the U.S."))]


@dataclass(frozen=True)
class TimeLimit:
    """18 U.S.C. § 2707(f) for this case: two years from the reference date."""

    reference_date: datetime.date
    last_day: datetime.date
    passed: bool


#: What registering leads to, by case status: no "moves forward" while there is no case to
#: move (CASE_FACTS "Status before money"; a firm may keep intake open for a refiled or
#: related action).
NEXT_STEP = {
    "dismissed": _("If the case is filed again, or a related case is brought, the firm may "
                   "contact you."),
    "active": _("If the firm needs more information, or the case moves forward, it will "
                "contact you."),
    "refiled": _("If the firm needs more information, or the case moves forward, it will "
                 "contact you."),
    "settled": _("The case has settled. The firm will contact you if there is something you "
                 "need to know or do."),
    "closed": _("The firm has closed its file on this case. It does not plan to contact you "
                "about it again."),
}


class InLanguage:
    """For models whose texts staff write in English and Spanish (``field`` and ``field_es``)."""

    def in_language(self, field: str, language: str) -> str:
        """The text in the reader's language when staff wrote one, else in English."""
        if language.startswith("es"):
            return getattr(self, f"{field}_es") or getattr(self, field)
        return getattr(self, field)


class Case(InLanguage, models.Model):
    class Status(models.TextChoices):
        DISMISSED = "dismissed", _("Dismissed")
        ACTIVE = "active", _("Active")
        REFILED = "refiled", _("Refiled")
        SETTLED = "settled", _("Settled")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    court = models.CharField(max_length=200)
    court_es = models.CharField(
        max_length=200, blank=True,
        help_text=_("The court's name in Spanish, for the public pages."))
    docket_number = models.CharField(max_length=100)
    filed_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)
    # CASE_FACTS "Dates of the status": the event's own date, and separately when the firm
    # last looked at the docket; never the record's save date as "as of".
    status_changed_on = models.DateField(
        null=True, blank=True,
        help_text=_("The date of the event behind the current status, from the court's docket "
                    "(for “Dismissed”, the date of the dismissal)."))
    docket_checked_on = models.DateField(
        null=True, blank=True,
        help_text=_("The day a member of the firm last checked the court's docket. The public "
                    "pages say “last checked by the firm on …”."))
    # What the public pages say for each status, in English and Spanish: staff write all of
    # them ahead, so switching the status never shows a page without its wording. Shipped by
    # migration 0010; status_text_field() names them.
    status_text_dismissed = models.TextField()
    status_text_dismissed_es = models.TextField()
    status_text_active = models.TextField()
    status_text_active_es = models.TextField()
    status_text_refiled = models.TextField()
    status_text_refiled_es = models.TextField()
    status_text_settled = models.TextField()
    status_text_settled_es = models.TextField()
    status_text_closed = models.TextField()
    status_text_closed_es = models.TextField()
    status_note = models.TextField(
        help_text=_("More about where the case stands, shown on the start page under the "
                    "status wording.")
    )
    status_note_es = models.TextField(
        blank=True, help_text=_("The status note in Spanish: required, so that Spanish pages "
                                "show no English.")
    )
    registration_open = models.BooleanField(default=True)
    registration_closed_message = models.TextField(blank=True)
    registration_closed_message_es = models.TextField(blank=True)
    sca_reference_date = models.DateField(
        default=datetime.date(2024, 9, 18),
        help_text=_("18 U.S.C. § 2707(f): the two years are counted from this date. The public "
                    "pages give the date they run out; submissions received after it are "
                    "flagged for a time-limit review."),
    )
    # Who is speaking: a firm's case page is attorney advertising in most U.S. states
    # (CASE_FACTS "Who is speaking"). In production the public pages stay closed until these
    # are filled in (caseapp.middleware.FirmIdentityMiddleware).
    firm_name = models.CharField(max_length=200, blank=True)
    firm_address = models.TextField(blank=True)
    firm_email = models.EmailField(blank=True)
    firm_phone = models.CharField(max_length=40, blank=True)
    firm_attorney = models.CharField(max_length=200, blank=True)
    firm_bar_states = models.CharField(max_length=200, blank=True)
    advertising_label = models.BooleanField(default=True)
    #: The fictional firm ``make run`` fills in: marked on every page, never open in production.
    firm_is_example = models.BooleanField(default=False)
    draft_retention_hours = models.PositiveIntegerField(default=72)
    info_reply_days = models.PositiveIntegerField(
        default=14,
        help_text=_("A request for information asks the person to answer within this many "
                    "days."),
    )
    purge_after_days = models.PositiveIntegerField(default=365)
    legal_hold = models.BooleanField(default=False)
    closed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: What the public pages need before they open in production.
    FIRM_IDENTITY_REQUIRED = ("firm_name", "firm_address", "firm_email", "firm_attorney",
                              "firm_bar_states")

    def __str__(self) -> str:
        return f"{self.name} ({self.docket_number})"

    @staticmethod
    def status_text_field(status: str) -> str:
        return f"status_text_{status}"

    def status_text(self, language: str) -> str:
        """What the public pages say about the current status, in the reader's language."""
        return self.in_language(self.status_text_field(self.status), language)

    def sca_time_limit(self, today: datetime.date | None = None) -> TimeLimit:
        """The § 2707(f) limit counted from ``sca_reference_date``, as of today."""
        last_day = review_rules.sca_limit_last_day(self.sca_reference_date)
        return TimeLimit(self.sca_reference_date, last_day, review_rules.sca_limit_passed(
            self.sca_reference_date, today or timezone.localdate()))

    def next_step_text(self) -> str:
        """What registering leads to under the current status, in the active language."""
        return str(NEXT_STEP[self.status])

    def planned_deletion_date(self) -> datetime.date | None:
        """The day the retention rule erases registrants' data: ``purge_after_days`` after the
        firm closes its file (status "Closed" with ``closed_on``); None until then, or while on
        legal hold. The same rule as services.privacy.retention_purge."""
        if self.status != self.Status.CLOSED or self.closed_on is None or self.legal_hold:
            return None
        return self.closed_on + datetime.timedelta(days=self.purge_after_days)

    @property
    def firm_identity_complete(self) -> bool:
        return not self.firm_is_example and all(
            getattr(self, field).strip() for field in self.FIRM_IDENTITY_REQUIRED)
