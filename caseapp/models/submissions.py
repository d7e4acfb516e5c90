"""Registrations from the public, the name tokens search them by, and their running tally."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseapp import review_rules
from caseapp.crypto import EncryptedTextField
from caseapp.models.case import OUTCOME_CHOICES, STATE_CHOICES, Case

#: Accepted, then marked as a duplicate or withdrawn or erased: counted as accepted by the
#: tally, owed nothing (review_rules.counts_toward_exposure). Few rows; a partial index holds them.
ACCEPTED_NOT_STANDING = models.Q(review_status=review_rules.ACCEPTED) & (
    models.Q(duplicate_of__isnull=False) | models.Q(personal_data_erased_at__isnull=False))


class Submission(models.Model):
    ACCEPTED_NOT_STANDING = ACCEPTED_NOT_STANDING

    class ReviewStatus(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        NEEDS_INFO = "needs_info", _("Needs information")
        INFO_RECEIVED = "info_received", _("Information received")
        DUPLICATE = "duplicate", _("Closed as duplicate")

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
    #: The phone number's digits (``crypto.normalise_phone``), for matching duplicates.
    phone_index = models.CharField(max_length=40, blank=True, db_index=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)
    #: When the registrant followed the link emailed to them; cleared when the address changes.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    #: The registrant changed the address and has not confirmed the new one: no sign-in code
    #: goes to it until they do (a stolen session cannot move the registration to a new inbox).
    email_change_unconfirmed = models.BooleanField(default=False, db_default=False)
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
            # The overview's open work (review_rules.OPEN_STATUSES, personal data not
            # erased), oldest first: its ageing counts and oldest rows read this index alone,
            # where the received-order index made them check each row in the table (1.7-9.8
            # ms a bucket at a million rows, against 0.25 ms here; issue 18). The condition is
            # the rule's own set, in the order the selector writes it: a status added to the
            # rule is a migration (makemigrations --check), not an index no query can use.
            models.Index(fields=["created_at", "id"], name="sub_open_received",
                         condition=models.Q(review_status__in=sorted(review_rules.OPEN_STATUSES),
                                            personal_data_erased_at__isnull=True)),
            models.Index(fields=["outcome", "outcome_override"], name="sub_accepted_closed",
                         condition=ACCEPTED_NOT_STANDING),
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

    def same_address_references(self) -> list[str]:
        """The references of this person's other registrations (same address, not erased):
        the confirmation email tells them they have more than one, and how to withdraw one."""
        if not self.email_index:
            return []
        return list(Submission.objects.filter(
            email_index=self.email_index, case_id=self.case_id,
            personal_data_erased_at__isnull=True,
        ).exclude(pk=self.pk).order_by("created_at").values_list("reference", flat=True))


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
