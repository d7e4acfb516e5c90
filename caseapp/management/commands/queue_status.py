from django.core.management.base import BaseCommand
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from caseapp.models import Message


class Command(BaseCommand):
    help = ("How the background queue stands: tasks by status, how late the oldest due task "
            "is, and messages by status. For monitoring: a growing lateness means too few "
            "workers, or none.")

    def handle(self, *args, **options):
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
        late = max((now - oldest).total_seconds(), 0)
        messages = dict(Message.objects.values_list("status").annotate(n=Count("id")))
        self.stdout.write("tasks: " + ", ".join(
            f"{status.lower()} {tasks.get(status, 0)}"
            for status in ("READY", "RUNNING", "SUCCESSFUL", "FAILED")))
        self.stdout.write(f"oldest due task waiting: {late:.0f} s")
        self.stdout.write("messages: " + ", ".join(
            f"{status} {messages.get(status, 0)}" for status in Message.Status.values))
