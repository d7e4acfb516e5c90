"""The case record says where the case stands in words for each status, and who is speaking.

Issue 11: the public pages lead with the case status in words staff can edit (English and
Spanish, one text per status), and name the firm (attorney advertising). The statuses become
dismissed / active / refiled / settled / closed; a record that said "filed" or "investigating"
becomes "active" (a filed case that has not ended).
"""

import datetime

from django.db import migrations, models

#: Shipped wording per status, (English, Spanish). Facts: shared/docs/CASE_FACTS.md.
STATUS_TEXTS = {
    "dismissed": (
        "The person who brought this case withdrew it on January 30, 2025 (a voluntary "
        "dismissal “without prejudice”, so it could be filed again). No class was ever "
        "certified: no class exists, and nobody is a class member today.",
        "La persona que presentó este caso lo retiró el 30 de enero de 2025 (una desestimación "
        "voluntaria «sin perjuicio», por lo que podría presentarse de nuevo). Nunca se certificó "
        "una clase: no existe ninguna clase y hoy nadie es miembro de una clase.",
    ),
    "active": (
        "The case is active in court. No class has been certified yet, so nobody is a class "
        "member today; the court decides whether there will be one.",
        "El caso está activo en el tribunal. Todavía no se ha certificado ninguna clase, así que "
        "hoy nadie es miembro de una clase; el tribunal decide si la habrá.",
    ),
    "refiled": (
        "The claims have been filed again after the first case was dismissed on January 30, "
        "2025. No class has been certified, so nobody is a class member today.",
        "Las reclamaciones se han vuelto a presentar después de que el primer caso se "
        "desestimara el 30 de enero de 2025. No se ha certificado ninguna clase, así que hoy "
        "nadie es miembro de una clase.",
    ),
    "settled": (
        "The case has been settled. The settlement's official notice, not this check, says "
        "who is covered and how to make a claim.",
        "El caso se ha resuelto mediante un acuerdo. El aviso oficial del acuerdo, no esta "
        "verificación, dice a quién cubre y cómo reclamar.",
    ),
    "closed": (
        "The case is closed. No class exists, and nobody is a class member.",
        "El caso está cerrado. No existe ninguna clase y nadie es miembro de una clase.",
    ),
}

# The status note shipped by 0002 and 0005 told the dismissal again; the status wording says
# that now, so the note keeps only the background. Replaced only where staff never edited it.
OLD_NOTE_START = "On January 30, 2025, nine days after it was filed"
OLD_NOTE_ES_START = "El 30 de enero de 2025, nueve días después de presentarse"
STATUS_NOTE = (
    "His lawyers said LinkedIn had shown them evidence that it did not use private messages; "
    "LinkedIn called the claims false. We have found no refiled case. The firm keeps this "
    "check open in case the claims are brought again or in a related case."
)
STATUS_NOTE_ES = (
    "Sus abogados dijeron que LinkedIn les había mostrado pruebas de que no usó los mensajes "
    "privados; LinkedIn calificó las acusaciones de falsas. No hemos encontrado que el caso se "
    "haya vuelto a presentar. El bufete mantiene abierta esta verificación por si las mismas "
    "reclamaciones se presentan de nuevo o en un caso relacionado."
)


def seed(apps, schema_editor=None):
    """Idempotent; also used by the tests to restore the shipped record after a table flush."""
    Case = apps.get_model("caseapp", "Case")
    for case in Case.objects.all():
        for status, (english, spanish) in STATUS_TEXTS.items():
            field = f"status_text_{status}"
            if not getattr(case, field):
                setattr(case, field, english)
            if not getattr(case, f"{field}_es"):
                setattr(case, f"{field}_es", spanish)
        if case.status in ("filed", "investigating"):
            case.status = "active"
        if case.status_note.startswith(OLD_NOTE_START):
            case.status_note = STATUS_NOTE
        if case.status_note_es.startswith(OLD_NOTE_ES_START):
            case.status_note_es = STATUS_NOTE_ES
        # Keeps updated_at: the public "as of" date is the last change staff made.
        Case.objects.filter(pk=case.pk).update(**{
            field.name: getattr(case, field.name) for field in Case._meta.concrete_fields
            if field.name.startswith("status")
        })


def text_field():
    return models.TextField(default="")


class Migration(migrations.Migration):

    dependencies = [
        ("caseapp", "0009_submission_state_status_index"),
    ]

    operations = [
        *[
            migrations.AddField(model_name="case", name=f"status_text_{status}{suffix}",
                                field=text_field(), preserve_default=False)
            for status in STATUS_TEXTS for suffix in ("", "_es")
        ],
        migrations.AddField(model_name="case", name="firm_address",
                            field=models.TextField(blank=True)),
        migrations.AddField(model_name="case", name="firm_attorney",
                            field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name="case", name="firm_bar_states",
                            field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name="case", name="advertising_label",
                            field=models.BooleanField(default=True)),
        migrations.AddField(model_name="case", name="firm_is_example",
                            field=models.BooleanField(default=False)),
        migrations.AlterField(
            model_name="case", name="status",
            field=models.CharField(choices=[
                ("dismissed", "Dismissed"), ("active", "Active"), ("refiled", "Refiled"),
                ("settled", "Settled"), ("closed", "Closed"),
            ], max_length=20),
        ),
        migrations.AlterField(
            model_name="case", name="status_note",
            field=models.TextField(help_text="More about where the case stands, shown on the "
                                             "start page under the status wording."),
        ),
        migrations.AlterField(
            model_name="case", name="sca_reference_date",
            field=models.DateField(
                default=datetime.date(2024, 9, 18),
                help_text="18 U.S.C. § 2707(f): the two years are counted from this date. The "
                          "public pages give the date they run out; submissions received after "
                          "it are flagged for a time-limit review."),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
