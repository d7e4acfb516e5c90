from django.db import migrations, models

from caseapp.migrations._operations import tally_triggers_create, tally_triggers_drop


class Migration(migrations.Migration):
    """The overview's running counts, kept by database triggers (see _operations.py)."""

    dependencies = [
        ('caseapp', '0006_submission_overview_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='SubmissionTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.CharField(max_length=20)),
                ('outcome_override', models.CharField(blank=True, max_length=20)),
                ('review_status', models.CharField(max_length=20)),
                ('total', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddConstraint(
            model_name='submissiontally',
            constraint=models.UniqueConstraint(fields=('outcome', 'outcome_override', 'review_status'), name='submissiontally_key'),
        ),
        migrations.RunPython(tally_triggers_create, tally_triggers_drop, elidable=False),
    ]
