"""How the background queue stands, for monitoring (``manage.py queue_status``). The one
place that reads the task backend's own table: nothing decides anything from it."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from caseapp.models import Message


def queue_standing() -> dict:
    """Tasks and messages by status, and how late the oldest due task is (seconds)."""
    now = timezone.now()
    tasks = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")))
    # A task enqueued to run at once carries the far-future marker as its run_after;
    # it has been due since it was enqueued.
    ready = DBTaskResult.objects.ready()
    dues = [
        ready.exclude(run_after=get_date_max()).aggregate(first=Min("run_after"))["first"],
        ready.filter(run_after=get_date_max()).aggregate(first=Min("enqueued_at"))["first"],
    ]
    oldest = min((due for due in dues if due is not None), default=now)
    return {
        "tasks": tasks,
        "late_seconds": max((now - oldest).total_seconds(), 0),
        "messages": dict(Message.objects.values_list("status").annotate(n=Count("id"))),
    }
