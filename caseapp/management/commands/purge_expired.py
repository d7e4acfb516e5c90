"""Daily: delete expired staff sessions and erase a closed case's data after its retention."""

from django.core.management.base import BaseCommand

from caseapp.ratelimit import forget_full_buckets
from caseapp.selectors.case_record import case_current
from caseapp.services.privacy import retention_purge


class Command(BaseCommand):
    help = ("Delete expired sessions and erase a closed case's submissions after its "
            "retention period (never while the case is on legal hold). Run it daily.")

    def handle(self, *args, **options):
        result = retention_purge(case=case_current())
        forget_full_buckets()
        self.stdout.write(
            f"expired sessions deleted: {result.sessions_deleted}; "
            f"submissions erased: {result.submissions_erased}"
            + ("; erasure skipped: the case is on legal hold"
               if result.skipped_for_legal_hold else "")
        )
