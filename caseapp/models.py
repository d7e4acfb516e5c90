"""The data caseapp keeps: the case, submissions, the review timeline, the audit log, counts."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from caseapp import eligibility, review_rules
from caseapp.crypto import EncryptedTextField

OUTCOME_CHOICES = [
    (eligibility.Outcome.ELIGIBLE.value, _("Eligible")),
    (eligibility.Outcome.NEEDS_REVIEW.value, _("Needs review")),
    (eligibility.Outcome.NOT_ELIGIBLE.value, _("Not eligible")),
    (eligibility.Outcome.INCOMPLETE.value, _("Incomplete")),
]

#: U.S. states, D.C. and territories by USPS code, plus one choice for everyone else.
US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"), ("VI", "U.S. Virgin Islands"),
]
OUTSIDE_US = "outside_us"
STATE_CHOICES = [*US_STATES, (OUTSIDE_US, _("Outside the U.S."))]


class Case(models.Model):
    class Status(models.TextChoices):
        DISMISSED = "dismissed", _("Dismissed")
        ACTIVE = "active", _("Active")
        REFILED = "refiled", _("Refiled")
        SETTLED = "settled", _("Settled")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    court = models.CharField(max_length=200)
    docket_number = models.CharField(max_length=100)
    filed_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)
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
        blank=True, help_text=_("The status note in Spanish; the English one is shown if empty.")
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
    purge_after_days = models.PositiveIntegerField(default=365)
    legal_hold = models.BooleanField(default=False)
    closed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: What the public pages need before they open in production.
    FIRM_IDENTITY_REQUIRED = ("firm_name", "firm_address", "firm_email", "firm_attorney",
                              "firm_bar_states")

    def __str__(self) -> str:
        return f"{self.name} ({self.docket_number})"

    def in_language(self, field: str, language: str) -> str:
        """A public text in the reader's language when staff wrote one, else in English."""
        if language.startswith("es"):
            return getattr(self, f"{field}_es") or getattr(self, field)
        return getattr(self, field)

    @staticmethod
    def status_text_field(status: str) -> str:
        return f"status_text_{status}"

    def status_text(self, language: str) -> str:
        """What the public pages say about the current status, in the reader's language."""
        return self.in_language(self.status_text_field(self.status), language)

    @property
    def firm_identity_complete(self) -> bool:
        return not self.firm_is_example and all(
            getattr(self, field).strip() for field in self.FIRM_IDENTITY_REQUIRED)


class Submission(models.Model):
    class ReviewStatus(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        NEEDS_INFO = "needs_info", _("Needs information")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="submissions")
    reference = models.CharField(max_length=12, unique=True)
    #: Set by the registration form when it is shown, so a re-posted form finds its submission.
    idempotency_key = models.CharField(max_length=64, unique=True)
    answers = models.JSONField()
    outcome = models.CharField(max_length=20, choices=OUTCOME_CHOICES)
    estimated_damages = models.PositiveIntegerField()
    rules_version = models.CharField(max_length=40)
    consent_version = models.CharField(max_length=40)
    attestation_version = models.CharField(max_length=40)
    notice_version = models.CharField(max_length=40)
    language = models.CharField(max_length=10)

    full_name = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, blank=True)
    email_index = models.CharField(max_length=40, blank=True, db_index=True)
    name_index = models.CharField(max_length=40, blank=True, db_index=True)
    name_state_index = models.CharField(max_length=40, blank=True, db_index=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)
    #: When the registrant followed the link emailed to them; cleared when the address changes.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    #: When the registrant asked for no more case updates (RFC 8058 one-click unsubscribe).
    #: Messages about their own registration still go.
    updates_unsubscribed_at = models.DateTimeField(null=True, blank=True)

    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.NEW
    )
    outcome_override = models.CharField(max_length=20, choices=OUTCOME_CHOICES, blank=True)
    override_reason = EncryptedTextField(blank=True)  # free text about a person: sealed
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_submissions",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    #: Another submission shares this one's email or name + state, or a reviewer marked it a
    #: duplicate. Kept by the services so the staff queue can filter on it at any size.
    possible_duplicate = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)  # indexed by sub_received
    updated_at = models.DateTimeField(auto_now=True)
    #: Incremented on every staff change; a form posted with an older number is stale.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The staff queue pages by keyset on (sort column, created_at, id); each index below
        # serves one sort or filter in either direction.
        indexes = [
            models.Index(fields=["created_at", "id"], name="sub_received"),
            models.Index(fields=["review_status", "created_at", "id"], name="sub_review_status"),
            models.Index(fields=["outcome", "created_at", "id"], name="sub_outcome"),
            models.Index(fields=["state", "created_at", "id"], name="sub_state"),
            # Reviewers who work one state's new or in-review people filter on both; neither
            # index alone is selective for the pair, and the bounded count read 50,000 rows.
            models.Index(fields=["state", "review_status", "created_at", "id"],
                         name="sub_state_status"),
            models.Index(fields=["assignee", "created_at", "id"], name="sub_assignee"),
            models.Index(fields=["possible_duplicate", "created_at", "id"],
                         name="sub_possible_duplicate"),
        ]
        permissions = [
            ("review_submission", "Can review submissions and add notes"),
            ("export_submission", "Can export submissions"),
            ("bulk_update_submission", "Can run bulk actions on submissions"),
            ("erase_submission", "Can erase a submission's personal data"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def effective_outcome(self) -> str:
        return review_rules.effective_outcome(self.outcome, self.outcome_override)


class SubmissionNameToken(models.Model):
    """One word of a submission's name as a blind index, so staff can find "Smith" without the
    database holding names in clear (``crypto.name_tokens``; docs/decisions.md says what it
    reveals). Written by the intake service, deleted with the name on erasure."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="name_tokens")
    token_index = models.CharField(max_length=40)

    class Meta:
        constraints = [
            # Also the index the search seeks: token first, then the submissions it names.
            models.UniqueConstraint(fields=["token_index", "submission"],
                                    name="submissionnametoken_key"),
        ]

    def __str__(self) -> str:
        return f"token of {self.submission_id}"


class SavedView(models.Model):
    """A reviewer's named queue: the filters and sort as the queue's query string."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedview_owner_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DecisionCount(models.Model):
    """Decisions each reviewer made each day (the firm's day): the overview's throughput,
    added to by the review service in the decision's own transaction, so the overview reads a
    few hundred rows instead of the whole review timeline."""

    day = models.DateField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    decision = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "reviewer", "decision"],
                                    name="decisioncount_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.reviewer_id} {self.decision}: {self.count}"


class SubmissionTally(models.Model):
    """How many submissions have each (outcome, override, review status): the overview's
    running counts. Database triggers keep it (migration 0007), so every write counts, the
    admin's and a raw ``UPDATE`` included, in the same transaction as the write. Never written
    by the app."""

    outcome = models.CharField(max_length=20)
    outcome_override = models.CharField(max_length=20, blank=True)
    review_status = models.CharField(max_length=20)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outcome", "outcome_override", "review_status"],
                                    name="submissiontally_key")
        ]

    def __str__(self) -> str:
        return f"{self.outcome}/{self.outcome_override}/{self.review_status}: {self.total}"


class ReviewEvent(models.Model):
    """One entry of a submission's timeline: a status change, override, assignment or note."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status changed")
        OVERRIDE = "override", _("Outcome overridden")
        ASSIGN = "assign", _("Assigned")
        NOTE = "note", _("Note")
        DUPLICATE = "duplicate", _("Marked as duplicate")
        EMAIL_CONFIRMED = "email_confirmed", _("Email address confirmed")
        #: Something the registrant did at /manage/: corrected, downloaded a copy, withdrew.
        REGISTRANT = "registrant", _("Registrant action")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_value = models.CharField(max_length=100, blank=True)
    to_value = models.CharField(max_length=100, blank=True)
    text = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.submission_id}"


class CaseUpdate(models.Model):
    """News about the case sent to many registrants at once (a refiling, a settlement...).

    Its texts are the firm's, not anyone's personal data, so they are stored in clear. Each
    recipient is one ``Message`` row (kind ``update``), made when the update is sent: one row
    per recipient and update, so no one can be sent the same update twice.
    """

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    subject = models.CharField(max_length=200)
    body = models.TextField()
    subject_es = models.CharField(max_length=200)
    body_es = models.TextField()
    #: The queue filters that chose the audience, as the supervisor set them.
    audience = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject

    def in_language(self, field: str, language: str) -> str:
        if language.startswith("es"):
            return getattr(self, f"{field}_es") or getattr(self, field)
        return getattr(self, field)


class MessageTemplate(models.Model):
    """A starting text for a message to one registrant; staff edit it before sending."""

    key = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    subject_es = models.CharField(max_length=200)
    body_es = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One email to one registrant: what was sent, how, and what the server said.

    It holds no address and, for the automatic kinds, no text: the address is read from the
    submission and the text rendered from templates when it is sent, so an erased submission
    leaves nothing here to read. A staff-written message keeps its text sealed, for the
    timeline and a resend.

    Delivery claims a row (``queued`` → ``sending``) before talking to the server, and marks
    it ``sent`` after, so no worker ever sends a row twice. A worker killed in between leaves
    a ``sending`` row whose lease runs out; it becomes ``unknown`` (the server may or may not
    have accepted it) and is never resent by itself (docs/decisions.md).
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Registration confirmation")
        ACCESS_CODE = "access_code", _("Sign-in code")
        STAFF = "staff", _("Message from staff")
        UPDATE = "update", _("Case update")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown: the worker stopped while sending")
        CANCELLED = "cancelled", _("Cancelled before sending")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="messages")
    update = models.ForeignKey(CaseUpdate, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="messages")
    language = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: The server's last reply: "250 …" when accepted, else the refusal or the error.
    # An SMTP reply can quote the address ("550 <j@example.org>: unknown user"): sealed.
    last_reply = EncryptedTextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: When the next try is due; the recovery sweep re-enqueues queued rows long past it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    #: While ``sending``: when the claim lapses if the worker never reports back.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: For a case update: the claim (one delivery batch) that took this row. Rows of a batch
    #: are sent in id order and each marked sent at once, so after a crash only the first
    #: unmarked row of the batch can have reached the server.
    batch = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["submission", "created_at"], name="message_submission"),
            models.Index(fields=["status", "next_attempt_at"], name="message_status_due"),
            models.Index(fields=["update", "status", "id"], name="message_update_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["update", "submission"], name="message_update_once",
                                    condition=models.Q(update__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class AccessCode(models.Model):
    """One request to sign in at /manage/: the browser holds a random challenge, the
    registrant's inbox gets a six-digit code. Both are kept only as keyed hashes; the code
    is drawn by the worker when it sends the email, so it is never stored in clear, not even
    in the task queue. Valid for CASEAPP_MANAGE_CODE_MINUTES, usable once."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="access_codes")
    challenge_hash = models.CharField(max_length=64, unique=True)
    #: Blank until the worker has drawn and sent the code.
    code_hash = models.CharField(max_length=64, blank=True)
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="access_code")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"access code #{self.pk} for {self.submission_id}"


class AuditEventQuerySet(models.QuerySet):
    """Bulk writes would bypass the model's guard, so the query set refuses them too."""

    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")

    def bulk_update(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")

    def notes_reseal(self) -> int:
        """Seal each note again under the newest field key (key rotation): the only change an
        audit event may take, and the database's trigger allows no other (migration 0012)."""
        done = 0
        for pk, note in self.exclude(note="").values_list("pk", "note").iterator():
            done += models.QuerySet.update(self.model.objects.filter(pk=pk), note=note)
        return done


class AuditEvent(models.Model):
    """Append-only record of staff and system actions; the app never updates or deletes one."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=50, db_index=True)
    target = models.CharField(max_length=100, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    #: Free text a staff member typed (an erasure's reason): sealed, as it may name a person.
    #: The one column key rotation may rewrite (``audit_notes_reseal``).
    note = EncryptedTextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class DailyCount(models.Model):
    """Anonymous funnel counters for the firm: no person can be found in them."""

    class Metric(models.TextChoices):
        STARTED = "started", _("Checks started")
        FINISHED_ELIGIBLE = "finished_eligible", _("Finished: eligible")
        FINISHED_NEEDS_REVIEW = "finished_needs_review", _("Finished: needs review")
        FINISHED_NOT_ELIGIBLE = "finished_not_eligible", _("Finished: not eligible")
        REGISTERED = "registered", _("Registered")

    day = models.DateField()
    metric = models.CharField(max_length=40, choices=Metric.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "metric"], name="dailycount_day_metric")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}: {self.count}"


class SealedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's authenticator (TOTP), its seed sealed like personal data.

    django-otp's ``TOTPDevice`` keeps the seed as plain hex, readable in any dump; this model
    has the same fields with ``key`` in an ``EncryptedTextField``, and borrows django-otp's own
    code for everything else (verification, drift, replay and throttling). django-otp finds it
    like any device (``devices_for_user``, the middleware, the admin site); migration 0012
    moved the existing devices here.
    """

    key = EncryptedTextField(default=default_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    bin_key = TOTPDevice.bin_key
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")


class RateLimitBucket(models.Model):
    """One rate-limit bucket (caseapp.ratelimit), when no Redis is configured: ``tat`` is the
    time (Unix seconds) at which the bucket will be full again. Written only by one atomic
    SQL statement in caseapp.ratelimit. Keys hold no personal data: emails are keyed hashes."""

    key = models.CharField(max_length=200, primary_key=True)
    tat = models.FloatField()

    def __str__(self) -> str:
        return self.key
