"""Email to registrants: one-to-one messages, case updates, templates and sign-in codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseapp.crypto import EncryptedTextField
from caseapp.models.case import InLanguage
from caseapp.models.submissions import Submission


class CaseUpdate(InLanguage, models.Model):
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


class MessageTemplate(InLanguage, models.Model):
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
        INFO_REQUEST = "info_request", _("Request for information")
        INFO_REMINDER = "info_reminder", _("Reminder of a request for information")
        EMAIL_CHANGED = "email_changed", _("Notice to the old address of an address change")

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
    #: Set only when the message goes elsewhere than the registration's current address (the
    #: notice of an address change goes to the old one).
    # db_default: a case update inserts its rows in one SQL statement that does not name it.
    to_address = EncryptedTextField(blank=True, db_default="")
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

    #: Empty when the reference and address matched nothing: the row is made either way, so
    #: the request does the same work (and takes the same time) whether or not they match.
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, null=True, blank=True,
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


class ManageSession(models.Model):
    """One signed-in visit to /manage/, held on the server so that signing out ends it: the
    browser's sealed cookie names the row and carries a random key kept here only as a hash,
    so a copy of the cookie opens nothing once the row is ended."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="manage_sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"manage session #{self.pk} for {self.submission_id}"


class DeliveryLane(models.Model):
    """A chain of background tasks that must keep going: one of a case update's delivery
    lanes, or the recurring recovery sweep. Whether it is alive is read here, on our own row,
    never from the task backend's tables: each task of the chain carries the lane's
    generation, and a task whose generation is no longer the lane's stops at once, so a lane
    restarted after its worker died never runs twice."""

    key = models.CharField(max_length=64, unique=True)
    generation = models.PositiveIntegerField(default=0)
    #: When the lane's waiting task is due to run.
    due_at = models.DateTimeField()
    #: When the lane's task last started, or renewed a batch's lease.
    beat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key} (generation {self.generation})"
