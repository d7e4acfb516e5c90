"""The database cache's table (rate limits, shared across workers) is made with the schema, so
no deployment can forget `createcachetable`. With REDIS_URL set it stays unused."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("caseapp", "0003_submission_queue_indexes")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
