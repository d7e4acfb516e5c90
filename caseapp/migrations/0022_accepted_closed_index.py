from django.db import migrations, models

from caseapp.migrations._operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # Accepted registrations marked as a duplicate, or withdrawn or erased since: the overview
    # takes them out of the exposure (review_rules.counts_toward_exposure). A partial index
    # that holds just them, so the count stays a few rows' read at a million.
    atomic = False

    dependencies = [
        ('caseapp', '0021_perf_open_work_index'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='submission',
            index=models.Index(condition=models.Q(('review_status', 'accepted'), models.Q(('duplicate_of__isnull', False), ('personal_data_erased_at__isnull', False), _connector='OR')), fields=['outcome', 'outcome_override'], name='sub_accepted_closed'),
        ),
    ]
