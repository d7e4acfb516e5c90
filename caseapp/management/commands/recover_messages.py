from django.core.management.base import BaseCommand

from caseapp.services.email import messages_recover, recovery_schedule


class Command(BaseCommand):
    help = ("Settle the messages a killed worker left behind and make sure the recurring "
            "recovery task is scheduled. `make run` and each release run it; so does the daily "
            "job, in case a worker died while running the recurring one.")

    def handle(self, *args, **options):
        result = messages_recover()
        scheduled = recovery_schedule()
        self.stdout.write(
            f"messages marked unknown: {result['unknown']}; re-enqueued: {result['requeued']}; "
            f"recovery task {'scheduled' if scheduled else 'already waiting'}"
        )
