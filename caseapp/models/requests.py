"""Requests for information: the reasons supervisors keep, and each request to a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseapp.crypto import EncryptedTextField
from caseapp.models.case import InLanguage
from caseapp.models.submissions import Submission


class InfoRequestReason(InLanguage, models.Model):
    """What a reviewer can ask a person for, worded for the person in English and Spanish.

    The firm's words, not anyone's personal data: stored in clear. A reason is disabled, never
    deleted, so old requests keep their wording."""

    name = models.CharField(_("name (for staff)"), max_length=100, unique=True)
    public_text = models.TextField(_("what the person reads (English)"))
    public_text_es = models.TextField(_("what the person reads (Spanish)"))
    active = models.BooleanField(_("offered to reviewers"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InfoRequest(models.Model):
    """One request for information to a registrant, with their answer once they give it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="info_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reasons = models.ManyToManyField(InfoRequestReason, related_name="requests")
    #: Free text to a person about them: sealed.
    note = EncryptedTextField(blank=True)
    reply_by = models.DateField()
    requested_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        get_latest_by = "requested_at"

    def __str__(self) -> str:
        return f"request #{self.pk} to {self.submission_id}"
