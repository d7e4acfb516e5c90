"""Create the first administrator on a fresh database and print its password once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from caseapp.models import StaffProfile
from caseapp.services.audit import audit_record


class Command(BaseCommand):
    help = ("On first run, create an administrator with a generated password and print it "
            "once; it must be replaced, and two-factor sign-in set up, at the first sign-in.")

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(15)
        user = User.objects.create_superuser("admin", email="", password=password)
        user.groups.add(Group.objects.get(name="Administrator"))
        # A password printed to a terminal has been seen: it opens only the page to replace it.
        StaffProfile.objects.create(user=user, must_change_password=True)
        audit_record(actor=None, action="staff.create", target=user.get_username(),
                     details={"role": "Administrator", "by": "ensure_admin"})
        bar = "=" * 64
        self.stdout.write(
            f"{bar}\nAdministrator account created. This password is shown only once:\n"
            f"  username: admin\n  password: {password}\n"
            f"Sign in at /staff/login/: you will set up two-factor sign-in and replace this\n"
            f"password before anything else. Then add colleagues at /staff/team/.\n{bar}"
        )
