from django.core.management.base import BaseCommand

from caseapp.services.sign_in_limits import sign_in_unlock


class Command(BaseCommand):
    help = "Unlock a staff member's sign-in (every address and browser)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        removed = sign_in_unlock(username=username)
        self.stdout.write(f"Removed {removed} lockout record(s) for {username}.")
