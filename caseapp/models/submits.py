"""One-time tokens of forms whose submit sends email or creates a batch."""

from __future__ import annotations

from django.db import models


class SubmitToken(models.Model):
    """A form's one-time token, spent by the submit that acted on it: a second submit of the
    same form (a double click, a reload, three tabs at once) finds it and shows what the first
    made instead of doing it again. The unique key makes concurrent submits wait for the first
    and then find its result. Holds no personal data: a random key, an action, an id."""

    action = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    #: The id of what the first submit made (a case update, a message).
    result_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "key"], name="submit_token_once"),
        ]

    def __str__(self) -> str:
        return f"{self.action} → {self.result_id}"
