"""caseapp.management.commands.rotate_field_keys: the command around the key rotation (what
a rotation does to the rows is in tests/test_crypto.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from caseapp import crypto
from caseapp.models import ReviewEvent, Submission

from .factories import make_submission

pytestmark = pytest.mark.django_db


def rotate(*args) -> str:
    out = StringIO()
    call_command("rotate_field_keys", *args, stdout=out)
    return out.getvalue()


def test_the_command_reports_the_rows_it_re_encrypted_per_model(field_keys):
    submission = make_submission()
    make_submission()
    ReviewEvent.objects.create(submission=submission, kind="note", text="private note")
    assert rotate().splitlines() == ["caseapp.Submission: 2 rows re-encrypted",
                                     "caseapp.ReviewEvent: 1 rows re-encrypted",
                                     # the two confirmation emails (their SMTP replies)
                                     "caseapp.Message: 2 rows re-encrypted",
                                     "caseapp.AuditEvent: 0 rows re-encrypted",
                                     "caseapp.SealedTOTPDevice: 0 rows re-encrypted"]


def test_a_new_local_key_is_refused_when_the_keys_come_from_the_environment(
        field_keys, settings, tmp_path):
    settings.FIELD_KEY_FILE = tmp_path / "keys"
    with pytest.raises(CommandError, match="put the new key first in that variable"):
        rotate("--new-local-key")
    assert not settings.FIELD_KEY_FILE.exists()


def test_a_new_local_key_goes_first_in_the_key_file_and_the_rows_move_to_it(settings, tmp_path):
    settings.FIELD_KEYS, settings.BLIND_INDEX_KEY = [], ""
    settings.FIELD_KEY_FILE = tmp_path / "keys"
    crypto.reset_key_cache()
    try:
        submission = make_submission(full_name="Local Key", email="local@example.com")
        old_keys = crypto._local_keys()
        assert "caseapp.Submission: 1 rows re-encrypted" in rotate("--new-local-key")
        new_keys = crypto._local_keys()
        new, old = new_keys["CASEAPP_FIELD_KEYS"].split(",")
        assert old == old_keys["CASEAPP_FIELD_KEYS"] and new != old
        assert new_keys["CASEAPP_BLIND_INDEX_KEY"] == old_keys["CASEAPP_BLIND_INDEX_KEY"]

        settings.FIELD_KEYS, settings.BLIND_INDEX_KEY = [new], new_keys["CASEAPP_BLIND_INDEX_KEY"]
        crypto.reset_key_cache()
        assert Submission.objects.get(email_index=crypto.blind_index("local@example.com")
                                      ).full_name == "Local Key"
        settings.FIELD_KEYS = [old]  # the old key alone no longer opens the rewritten rows
        crypto.reset_key_cache()
        with pytest.raises(crypto.UnreadableToken):
            Submission.objects.get(pk=submission.pk)
    finally:
        crypto.reset_key_cache()


def test_rotation_re_seals_override_reasons_audit_notes_and_seeds(field_keys):
    """Issue 12: the newly sealed columns move to the new key too, so the old can retire."""
    from cryptography.fernet import Fernet

    from caseapp.models import AuditEvent, SealedTOTPDevice, Submission
    from caseapp.services.audit import audit_record
    from tests.staff_users import make_staff

    use, old = field_keys
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(override_reason="checked by phone")
    audit_record(actor=None, action="submission.erase", note="asked by letter")
    device = SealedTOTPDevice.objects.create(user=make_staff("rita"), name="phone")
    new = Fernet.generate_key().decode()
    use(new, old)
    rotate()
    use(new)  # the old key retired: everything still opens
    assert Submission.objects.get(pk=submission.pk).override_reason == "checked by phone"
    assert AuditEvent.objects.get(action="submission.erase").note == "asked by letter"
    assert SealedTOTPDevice.objects.get().key == device.key
