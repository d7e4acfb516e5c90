from django.db import migrations, models

from caseapp.migrations._operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY on PostgreSQL: a large table keeps taking writes meanwhile.
    atomic = False

    dependencies = [
        ('caseapp', '0008_submission_drop_redundant_indexes'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='submission',
            index=models.Index(fields=['state', 'review_status', 'created_at', 'id'], name='sub_state_status'),
        ),
    ]
