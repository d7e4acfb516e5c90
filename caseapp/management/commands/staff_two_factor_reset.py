from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from caseapp.services.staff_accounts import staff_second_factor_reset


class Command(BaseCommand):
    help = ("Remove a staff member's authenticator and backup codes (a lost phone) and end "
            "their sessions; they enrol again at their next sign-in.")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"No staff account is named {username!r}.") from exc
        removed = staff_second_factor_reset(user=user)
        self.stdout.write(f"Removed {removed} device(s) of {username}; their sessions ended.")
