"""Re-encrypt the personal data under the first key of ``CASEAPP_FIELD_KEYS``."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseapp import crypto
from caseapp.services.privacy import field_keys_rotate


class Command(BaseCommand):
    help = ("Re-encrypt all personal data under the first key of CASEAPP_FIELD_KEYS. Put the new "
            "key first and keep the old ones after it until this has run.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-local-key", action="store_true",
            help="Development only: add a new first key to the local key file, then rotate.",
        )

    def handle(self, *args, new_local_key=False, **options):
        if new_local_key:
            if settings.FIELD_KEYS:
                raise CommandError("CASEAPP_FIELD_KEYS is set: put the new key first in that "
                                   "variable instead of using --new-local-key.")
            crypto.local_key_file_add_field_key()
        crypto.reset_key_cache()
        counts = field_keys_rotate()
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows re-encrypted")
