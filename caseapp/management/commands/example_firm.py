"""Fill the case record with a made-up firm for ``make run``.

The pages then show what a firm's identity looks like; every page marks it as an example, and
production never opens with it."""

from django.core.management.base import BaseCommand

from caseapp.selectors.case_record import case_current

EXAMPLE_FIRM = {
    "firm_name": "Example Intake Law Group LLP",
    "firm_address": "100 Example Street, Suite 0\nNowhere, CA 00000",
    "firm_email": "intake@example.com",
    "firm_phone": "+1 555 0100",
    "firm_attorney": "Alex Example, Esq.",
    "firm_bar_states": "California",
}


class Command(BaseCommand):
    help = ("Fill a blank firm identity on the case record with a fictional example firm, "
            "marked as an example on every public page. Never opens production pages.")

    def handle(self, *args, **options):
        case = case_current()
        if case.firm_name.strip():
            return  # a firm is named already (the example or a real one): leave it
        for field, value in EXAMPLE_FIRM.items():
            setattr(case, field, value)
        case.firm_is_example = True
        case.save()
        self.stdout.write("The case record names a fictional example firm; fill in the real "
                          "firm on /staff/case/ before going live.")
