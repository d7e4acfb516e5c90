from django.db import migrations, models

from caseapp.migrations._operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
)


class Migration(migrations.Migration):
    # 0018's partial index listed three open statuses; review_rules.OPEN_STATUSES has four
    # since "information received" came, so no query of the open work could use it and the
    # overview's ageing counts fell back to the received-order index or a sequential scan
    # (up to 380 ms a bucket at a million rows). Rebuilt with the rule's set, CONCURRENTLY.
    atomic = False

    dependencies = [
        ('caseapp', '0020_i21w_status_note'),
    ]

    operations = [
        RemoveIndexConcurrentlyOnPostgres(
            model_name='submission',
            index=models.Index(condition=models.Q(('personal_data_erased_at__isnull', True), ('review_status__in', ['new', 'in_review', 'needs_info'])), fields=['created_at', 'id'], name='sub_open_received'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='submission',
            index=models.Index(condition=models.Q(('personal_data_erased_at__isnull', True), ('review_status__in', ['in_review', 'info_received', 'needs_info', 'new'])), fields=['created_at', 'id'], name='sub_open_received'),
        ),
    ]
