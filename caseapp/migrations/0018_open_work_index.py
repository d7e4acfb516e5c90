from django.db import migrations, models

from caseapp.migrations._operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY on PostgreSQL: a large table keeps taking writes meanwhile.
    atomic = False

    dependencies = [
        ('caseapp', '0017_registrant_safety_and_status_dates'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='submission',
            index=models.Index(condition=models.Q(('personal_data_erased_at__isnull', True), ('review_status__in', ['new', 'in_review', 'needs_info'])), fields=['created_at', 'id'], name='sub_open_received'),
        ),
    ]
