"""Print a new set of field-encryption and blind-index keys for the environment."""

from django.core.management.base import BaseCommand

from caseapp import crypto


class Command(BaseCommand):
    help = "Print new CASEAPP_FIELD_KEYS and CASEAPP_BLIND_INDEX_KEY values for a secret store."

    def handle(self, *args, **options):
        self.stdout.write(crypto.generate_key_file_text().rstrip())
