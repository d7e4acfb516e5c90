"""The review of submissions: its timeline, decision counts and reviewers' saved views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseapp.crypto import EncryptedTextField
from caseapp.models.submissions import Submission


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
        INFO_REQUESTED = "info_requested", _("Information requested")
        INFO_REMINDED = "info_reminded", _("Reminder of the request sent")
        INFO_RECEIVED = "info_received", _("Information received")

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
