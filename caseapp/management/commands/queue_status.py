from django.core.management.base import BaseCommand

from caseapp.models import Message
from caseapp.services.email.monitor import queue_standing


class Command(BaseCommand):
    help = ("How the background queue stands: tasks by status, how late the oldest due task "
            "is, and messages by status. For monitoring: a growing lateness means too few "
            "workers, or none.")

    def handle(self, *args, **options):
        standing = queue_standing()
        tasks, messages = standing["tasks"], standing["messages"]
        self.stdout.write("tasks: " + ", ".join(
            f"{status.lower()} {tasks.get(status, 0)}"
            for status in ("READY", "RUNNING", "SUCCESSFUL", "FAILED")))
        self.stdout.write(f"oldest due task waiting: {standing['late_seconds']:.0f} s")
        self.stdout.write("messages: " + ", ".join(
            f"{status} {messages.get(status, 0)}" for status in Message.Status.values))
