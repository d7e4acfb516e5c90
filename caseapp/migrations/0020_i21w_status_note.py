"""The English status note names whose lawyers spoke, as the Spanish has since 0015.

The note shipped by 0010 began "His lawyers said…". On the start page the status wording above
it names the person who brought the case; the "Registration is closed" page shows the note
alone ("Where the case stands: His lawyers said…"), where "his" points at nobody. The Spanish
says "Los abogados del demandante" (docs/glossary.md: the plaintiff's lawyers); the English now
says the same. Replaced only where it is still the shipped text: what staff wrote is theirs.
"""

from django.db import migrations

OLD_NOTE = (
    "His lawyers said LinkedIn had shown them evidence that it did not use private messages; "
    "LinkedIn called the claims false. We have found no refiled case. The firm keeps this "
    "check open in case the claims are brought again or in a related case."
)
STATUS_NOTE = (
    "The plaintiff's lawyers said LinkedIn had shown them evidence that it did not use private "
    "messages. LinkedIn called the claims false. We have found no refiled case. The firm keeps "
    "this check open in case the claims are brought again or in a related case."
)


def seed(apps, schema_editor=None):
    """Idempotent; also used by the tests to restore the shipped record after a table flush."""
    Case = apps.get_model("caseapp", "Case")
    # update(), not save(): the record's save date is not a fact about the case.
    Case.objects.filter(status_note=OLD_NOTE).update(status_note=STATUS_NOTE)


def unseed(apps, schema_editor=None):
    Case = apps.get_model("caseapp", "Case")
    Case.objects.filter(status_note=STATUS_NOTE).update(status_note=OLD_NOTE)


class Migration(migrations.Migration):

    dependencies = [
        ("caseapp", "0019_message_kinds"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
