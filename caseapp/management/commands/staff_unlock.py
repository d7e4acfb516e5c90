from axes.utils import reset
from django.core.management.base import BaseCommand

from caseapp.auth import axes_username


class Command(BaseCommand):
    help = ("Unlock a staff member's sign-in (every address). axes keeps usernames only as "
            "keyed hashes, so its own axes_reset_username cannot find them by name.")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        removed = reset(username=axes_username(None, {"username": username}))
        self.stdout.write(f"Removed {removed} lockout record(s) for {username}.")
