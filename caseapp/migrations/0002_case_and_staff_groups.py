"""Ship the one case record with its docket facts, and the two staff groups."""

import datetime

from django.contrib.auth.management import create_permissions
from django.db import migrations

STATUS_NOTE = (
    "On January 30, 2025, nine days after it was filed, the person who brought this case "
    "withdrew it (a voluntary dismissal “without prejudice”, which means it could be filed "
    "again). His lawyers said LinkedIn had shown them evidence that it did not use private "
    "messages; LinkedIn called the claims false. We have found no refiled case. The firm "
    "keeps this check open in case the claims are brought again or in a related case."
)

REVIEWER = ["view_case", "view_submission", "review_submission"]
SUPERVISOR = REVIEWER + [
    "change_case", "export_submission", "bulk_update_submission", "erase_submission",
    "view_auditevent",
]


def forwards(apps, schema_editor):
    # Permissions are normally made after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    seed(apps)


def seed(apps):
    """Idempotent; also used by browser tests to restore this data after a table flush."""
    Case = apps.get_model("caseapp", "Case")
    Case.objects.get_or_create(
        slug="de-la-torre-v-linkedin",
        defaults={
            "name": "De La Torre v. LinkedIn Corp.",
            "court": "U.S. District Court, Northern District of California (San Jose)",
            "docket_number": "5:25-cv-00709",
            "filed_on": datetime.date(2025, 1, 21),
            "status": "dismissed",
            "status_note": STATUS_NOTE,
            "registration_open": True,
            "sca_reference_date": datetime.date(2024, 9, 18),
        },
    )

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Reviewer", REVIEWER), ("Supervisor", SUPERVISOR)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="caseapp", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("caseapp", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
