"""The audit log and the daily funnel counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseapp.crypto import EncryptedTextField


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
    #: For a registrant's own actions: a keyed hash of their network address instead of the
    #: address (the privacy page promises it), enough to see one network behind many tries.
    ip_digest = models.CharField(max_length=64, blank=True)
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
