"""Create the first administrator on a fresh database and print its password once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "On first run, create an administrator with a generated password and print it once."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(15)
        User.objects.create_superuser("admin", email="", password=password)
        bar = "=" * 64
        self.stdout.write(
            f"{bar}\nAdministrator account created. This password is shown only once:\n"
            f"  username: admin\n  password: {password}\n"
            f"Sign in at /staff/login/ (or /admin/). Change it after signing in.\n{bar}"
        )
