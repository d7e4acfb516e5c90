from django.db import migrations, models

from caseapp.migrations._operations import RemoveIndexConcurrentlyOnPostgres


def _created_at_index(schema_editor):
    """The name Django gave created_at's own index (db_index=True until now)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "caseapp_submission")
    return next((name for name, c in constraints.items()
                 if c["index"] and not c["unique"] and c["columns"] == ["created_at"]), None)


def drop_created_at_index(apps, schema_editor):
    name = _created_at_index(schema_editor)
    if name:
        concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP INDEX{concurrently} {schema_editor.quote_name(name)}")


def create_created_at_index(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX{concurrently} caseapp_submission_created_at "
                          "ON caseapp_submission (created_at)")


class Migration(migrations.Migration):
    """Two indexes every registration paid for and nothing reads any more: the overview's
    covering index (the tally replaced its GROUP BY) and created_at's own index (sub_received,
    on created_at and id, serves every range and sort on it). Dropped CONCURRENTLY on
    PostgreSQL, so registrations go on meanwhile."""

    atomic = False

    dependencies = [
        ('caseapp', '0007_submission_tally'),
    ]

    operations = [
        RemoveIndexConcurrentlyOnPostgres(
            model_name='submission',
            index=models.Index(fields=['outcome', 'outcome_override', 'review_status'], name='sub_overview_counts'),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_created_at_index, create_created_at_index),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='submission',
                    name='created_at',
                    field=models.DateTimeField(auto_now_add=True),
                ),
            ],
        ),
    ]
