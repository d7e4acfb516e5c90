"""Whether a chain of tasks (a delivery lane, the recovery sweep) is alive, kept on our own
``DeliveryLane`` rows (models/messages.py says how a generation makes a restart safe)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from caseapp.models import DeliveryLane


@transaction.atomic
def lane_arm(*, key: str, due: datetime.datetime) -> int:
    """Start the lane's next generation, due at ``due``; its number. A task of an earlier
    generation still waiting will stop when it runs."""
    lanes = DeliveryLane.objects.filter(key=key)
    if not lanes.update(generation=F("generation") + 1, due_at=due, beat_at=None):
        try:
            with transaction.atomic():
                DeliveryLane.objects.create(key=key, generation=1, due_at=due)
            return 1
        except IntegrityError:  # armed at the same moment elsewhere: take the next one
            lanes.update(generation=F("generation") + 1, due_at=due, beat_at=None)
    return lanes.values_list("generation", flat=True).get()


def lane_beat(*, key: str, generation: int) -> bool:
    """The task of this generation is running; False if the lane has moved on without it."""
    return bool(DeliveryLane.objects.filter(key=key, generation=generation).update(
        beat_at=timezone.now()))


def lane_wait(*, key: str, generation: int, due: datetime.datetime) -> bool:
    """The task of this generation hands over to a successor due at ``due``."""
    return bool(DeliveryLane.objects.filter(key=key, generation=generation).update(due_at=due))


def lane_alive(*, key: str) -> bool:
    """A lane is alive while its task is waiting to be due, or ran within a lease: a worker
    killed with the task in hand leaves it neither."""
    lane = DeliveryLane.objects.filter(key=key).values("due_at", "beat_at").first()
    if lane is None:
        return False
    seen = max(lane["due_at"], lane["beat_at"] or lane["due_at"])
    grace = datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)
    return timezone.now() <= seen + grace


def lanes_end(*, prefix: str) -> int:
    """Forget the lanes whose keys start with ``prefix`` (their work is done)."""
    return DeliveryLane.objects.filter(key__startswith=prefix).delete()[0]
