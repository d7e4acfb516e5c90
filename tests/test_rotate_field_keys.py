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
                                     "caseapp.ReviewEvent: 1 rows re-encrypted"]


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
