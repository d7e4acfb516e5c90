"""Settling what a killed worker left behind, for single messages and update lanes, and the
recurring sweep that does it (above the outbox and the lanes: it calls both)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from caseapp.models import CaseUpdate, Message
from caseapp.services.email import liveness
from caseapp.services.email.lanes import lanes_resume, update_recover
from caseapp.services.email.outbox import deliver_message

RECOVERY_LANE = "recovery"


def messages_recover() -> dict:
    """Settle what a killed worker left behind.

    - ``sending`` past its lease: the server may have accepted it, so it is marked
      ``unknown``, never resent by itself (a person gets no message twice; staff can resend).
    - ``queued`` long past due: its task died with a worker before claiming it; enqueue it
      again (the claim makes a duplicate task harmless).
    - a case update whose lanes died: their batches settled, the lanes started again.
    """
    now = timezone.now()
    lease = datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)
    unknown = Message.objects.filter(
        status=Message.Status.SENDING, lease_until__lt=now, update__isnull=True,
    ).update(
        status=Message.Status.UNKNOWN, lease_until=None,
        last_reply="the worker stopped before the server's reply was recorded",
    )
    requeued = 0
    stale = Message.objects.filter(status=Message.Status.QUEUED, update__isnull=True,
                                   next_attempt_at__lt=now - lease)
    for message_id in stale.values_list("pk", flat=True)[:10_000]:
        with transaction.atomic():
            if Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
                    next_attempt_at=now):
                deliver_message.enqueue(message_id)
                requeued += 1
    lanes = 0
    for update in CaseUpdate.objects.filter(status=CaseUpdate.Status.SENDING):
        update_recover(update=update)
        lanes += lanes_resume(update=update, only_if_stalled=True)
    return {"unknown": unknown, "requeued": requeued, "update_lanes": lanes}


@transaction.atomic
def recovery_schedule(*, after: datetime.timedelta = datetime.timedelta(0)) -> bool:
    """Make sure the recurring sweep is alive; whether it had to be started."""
    if liveness.lane_alive(key=RECOVERY_LANE):
        return False
    due = timezone.now() + after
    generation = liveness.lane_arm(key=RECOVERY_LANE, due=due)
    recover_messages.using(run_after=due).enqueue(generation)
    return True


def recovery_run(*, generation: int) -> dict:
    """One turn of the sweep, then its successor after CASEAPP_RECOVER_SECONDS; a turn of a
    generation that was replaced (its worker was taken for dead) does nothing."""
    if not liveness.lane_beat(key=RECOVERY_LANE, generation=generation):
        return {"superseded": True}
    result = messages_recover()
    due = timezone.now() + datetime.timedelta(seconds=settings.CASEAPP_RECOVER_SECONDS)
    with transaction.atomic():
        if liveness.lane_wait(key=RECOVERY_LANE, generation=generation, due=due):
            recover_messages.using(run_after=due).enqueue(generation)
    return result


@task()
def recover_messages(generation: int) -> dict:
    """Settle what a killed worker left behind, then run again after a while."""
    return recovery_run(generation=generation)
