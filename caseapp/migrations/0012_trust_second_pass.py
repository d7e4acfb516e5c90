"""Issue 12, trust second pass: authenticators move to SealedTOTPDevice, their seeds sealed
(django-otp's plain-hex rows go); override and erasure reasons sealed; the rate-limit buckets;
the audit log append-only in PostgreSQL itself."""

import caseapp.crypto
import django.db.models.deletion
import django_otp.plugins.otp_totp.models
from django.conf import settings
from django.db import migrations, models


FIELDS = ["user_id", "name", "confirmed", "throttling_failure_timestamp",
          "throttling_failure_count", "created_at", "last_used_at", "key", "step", "t0",
          "digits", "tolerance", "drift", "last_t"]


def move_devices(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    SealedTOTPDevice = apps.get_model("caseapp", "SealedTOTPDevice")
    for device in TOTPDevice.objects.order_by("id").iterator():
        # Saved one by one: the historical model's EncryptedTextField seals each seed.
        SealedTOTPDevice.objects.create(**{f: getattr(device, f) for f in FIELDS})
    TOTPDevice.objects.all().delete()


def seal_free_text(apps, schema_editor):
    Submission = apps.get_model("caseapp", "Submission")
    AuditEvent = apps.get_model("caseapp", "AuditEvent")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, override_reason FROM caseapp_submission "
                       "WHERE override_reason <> '' AND override_reason NOT LIKE 'v2:%%'")
        rows = cursor.fetchall()
    for pk, reason in rows:
        # The historical model's EncryptedTextField seals on the way in.
        Submission.objects.filter(pk=pk).update(override_reason=reason)
    # An erasure's free-text reason moves from the clear JSON details to the sealed note.
    for event in AuditEvent.objects.filter(action="submission.erase").only("id", "details"):
        reason = (event.details or {}).get("reason")
        if isinstance(reason, str) and reason not in ERASURE_CATEGORIES:
            AuditEvent.objects.filter(pk=event.pk).update(
                note=reason, details={**event.details, "reason": "other"})


# PostgreSQL refuses to change or delete an audit event, whoever asks (a shell, a script, an
# admin with SQL): only re-sealing the note (key rotation) and clearing the actor of a deleted
# account (its name stays in actor_label) pass. TRUNCATE is left to the database's owner.
AUDIT_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION caseapp_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'note' - 'actor_id') = (to_jsonb(OLD) - 'note' - 'actor_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'caseapp_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER caseapp_auditevent_append_only
    BEFORE UPDATE OR DELETE ON caseapp_auditevent
    FOR EACH ROW EXECUTE FUNCTION caseapp_auditevent_append_only();
"""
AUDIT_APPEND_ONLY_REVERSE = """
DROP TRIGGER IF EXISTS caseapp_auditevent_append_only ON caseapp_auditevent;
DROP FUNCTION IF EXISTS caseapp_auditevent_append_only();
"""


def audit_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_APPEND_ONLY, None)  # None: the % is PL/pgSQL's own


def audit_append_only_reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_APPEND_ONLY_REVERSE, None)


ERASURE_CATEGORIES = {"person_asked", "not_a_member", "entered_by_mistake", "other"}


class Migration(migrations.Migration):

    dependencies = [
        ('caseapp', '0011_messages'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('otp_totp', '0003_add_timestamps'),
        ('otp_static', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='SealedTOTPDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('key', caseapp.crypto.EncryptedTextField(default=django_otp.plugins.otp_totp.models.default_key)),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'authenticator app',
                'abstract': False,
            },
        ),
        migrations.RunPython(move_devices, migrations.RunPython.noop),
        migrations.AddField(
            model_name='auditevent',
            name='note',
            field=caseapp.crypto.EncryptedTextField(blank=True),
        ),
        # The column stays text: only the model changes. A schema AlterField would make SQLite
        # rebuild the table and lose the tally triggers of migration 0007.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='submission',
                name='override_reason',
                field=caseapp.crypto.EncryptedTextField(blank=True),
            ),
        ]),
        migrations.RunPython(seal_free_text, migrations.RunPython.noop),
        migrations.RunPython(audit_append_only, audit_append_only_reverse),
        migrations.CreateModel(
            name='RateLimitBucket',
            fields=[
                ('key', models.CharField(max_length=200, primary_key=True, serialize=False)),
                ('tat', models.FloatField()),
            ],
        ),
    ]
