"""The case record's Spanish follows docs/glossary.md, and the court has a Spanish name.

A legal translator's read (shared/docs/SPANISH.md): the shipped status wording said "clase"
where the catalogue says "grupo", and "Sus abogados" in the status note reads as "your
lawyers" on pages that address the reader as *usted*. The footer named the court in English on
Spanish pages. Texts are replaced only where they are still the shipped ones: what staff wrote
is theirs.
"""

from django.db import migrations, models

COURT = "U.S. District Court, Northern District of California (San Jose)"
COURT_ES = ("Tribunal de Distrito de los Estados Unidos para el Distrito Norte de California "
            "(San José)")

#: status -> (shipped by 0010, now)
STATUS_TEXTS_ES = {
    "dismissed": (
        "La persona que presentó este caso lo retiró el 30 de enero de 2025 (una desestimación "
        "voluntaria «sin perjuicio», por lo que podría presentarse de nuevo). Nunca se certificó "
        "una clase: no existe ninguna clase y hoy nadie es miembro de una clase.",
        "La persona que presentó este caso lo retiró el 30 de enero de 2025 (una desestimación "
        "voluntaria “sin perjuicio”, por lo que podría volver a presentarse). Nunca se certificó "
        "un grupo: no existe ningún grupo y hoy nadie es miembro del grupo.",
    ),
    "active": (
        "El caso está activo en el tribunal. Todavía no se ha certificado ninguna clase, así que "
        "hoy nadie es miembro de una clase; el tribunal decide si la habrá.",
        "El caso está activo en el tribunal. Todavía no se ha certificado ningún grupo, así que "
        "hoy nadie es miembro del grupo. El tribunal decide si lo habrá.",
    ),
    "refiled": (
        "Las reclamaciones se han vuelto a presentar después de que el primer caso se "
        "desestimara el 30 de enero de 2025. No se ha certificado ninguna clase, así que hoy "
        "nadie es miembro de una clase.",
        "Las reclamaciones se han vuelto a presentar después de que el primer caso se "
        "desestimara el 30 de enero de 2025. No se ha certificado ningún grupo, así que hoy "
        "nadie es miembro del grupo.",
    ),
    "closed": (
        "El caso está cerrado. No existe ninguna clase y nadie es miembro de una clase.",
        "El caso está cerrado. No existe ningún grupo y nadie es miembro del grupo.",
    ),
}

OLD_NOTES_ES = (
    # 0010's note, and 0005's for a record 0010 left alone.
    "Sus abogados dijeron que LinkedIn les había mostrado pruebas de que no usó los mensajes "
    "privados; LinkedIn calificó las acusaciones de falsas.",
    "El 30 de enero de 2025, nueve días después de presentarse",
)
STATUS_NOTE_ES = (
    "Los abogados del demandante dijeron que LinkedIn les había mostrado pruebas de que no usó "
    "los mensajes privados. LinkedIn dijo que las reclamaciones eran falsas. No hemos "
    "encontrado que el caso se haya vuelto a presentar. El bufete mantiene abierta esta "
    "verificación por si las mismas reclamaciones se presentan de nuevo o en un caso relacionado."
)


def seed(apps, schema_editor=None):
    """Idempotent; also used by the tests to restore the shipped record after a table flush."""
    Case = apps.get_model("caseapp", "Case")
    for case in Case.objects.all():
        changes = {}
        if case.court == COURT and not case.court_es:
            changes["court_es"] = COURT_ES
        for status, (old, new) in STATUS_TEXTS_ES.items():
            field = f"status_text_{status}_es"
            if getattr(case, field) == old:
                changes[field] = new
        if case.status_note_es.startswith(OLD_NOTES_ES):
            changes["status_note_es"] = STATUS_NOTE_ES
        if changes:
            # update(), not save(): the public "as of" date is the last change staff made.
            Case.objects.filter(pk=case.pk).update(**changes)


class Migration(migrations.Migration):

    dependencies = [
        ("caseapp", "0014_staff_team"),
    ]

    operations = [
        migrations.AddField(
            model_name="case", name="court_es",
            field=models.CharField(blank=True, max_length=200,
                                   help_text="The court's name in Spanish, for the public pages."),
        ),
        migrations.AlterField(
            model_name="case", name="status_note_es",
            field=models.TextField(blank=True, help_text="The status note in Spanish: required, so "
                                   "that Spanish pages show no English."),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
