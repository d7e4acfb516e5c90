"""Personal data at rest: encrypted columns, blind indexes, key rotation."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.models import TextField, Value

from caseapp import crypto
from caseapp.models import ReviewEvent, Submission
from caseapp.services.privacy import field_keys_rotate

from .factories import make_submission


class RawToken(Value):
    """A value written to an encrypted column as it is, to plant an old or foreign token."""

    def __init__(self, token: str):
        super().__init__(token, output_field=TextField())


def raw_row(submission_id: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name, email, phone, email_index FROM caseapp_submission "
                       "WHERE id = %s", [submission_id])
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_the_database_file_or_raw_sql_never_shows_name_email_or_phone(settings):
    name, email, phone = "Zebulon Quartermain-Unique", "zq.8821@example.org", "+1 555 0199 88"
    submission = make_submission(full_name=name, email=email, phone=phone)
    row = raw_row(submission.id)
    for value in row:
        assert name not in value and email not in value and phone not in value
    assert all(value.startswith(crypto.PREFIX) for value in row[:3])  # sealed tokens
    if connection.vendor == "sqlite":
        connection.close()  # checkpoint nothing away: read the main file and its WAL as is
        db_path = settings.DATABASES["default"]["NAME"]
        if str(db_path).startswith(("file:", ":memory:")) or "mode=memory" in str(db_path):
            pytest.fail("the SQLite test database must be a file for this test")
        blob = b""
        for suffix in ("", "-wal", "-journal"):
            try:
                with open(f"{db_path}{suffix}", "rb") as handle:
                    blob += handle.read()
            except FileNotFoundError:
                pass
        # The plain reference is there, so these are the bytes that hold the row.
        assert submission.reference.encode() in blob
        for value in (name, email, phone, email.upper()):
            assert value.encode() not in blob
            assert value.encode("utf-16-le") not in blob


@pytest.mark.django_db
def test_encrypted_fields_read_back_as_written(field_keys):
    submission = make_submission(full_name="Ana María Ñúñez 😀", email="ana@example.com")
    fresh = Submission.objects.get(pk=submission.pk)
    assert fresh.full_name == "Ana María Ñúñez 😀"
    assert fresh.email == "ana@example.com"


@pytest.mark.django_db
def test_blind_index_matches_normalised_email_but_not_the_plain_text(field_keys):
    submission = make_submission(email="  Mixed.Case@Example.COM ")
    expected = crypto.blind_index(crypto.normalise_email("mixed.case@example.com"))
    assert submission.email_index == expected
    assert "mixed" not in submission.email_index.lower()


@pytest.mark.django_db
def test_rotation_reencrypts_under_the_new_first_key_and_old_keys_still_read(field_keys):
    use, old = field_keys
    submission = make_submission(full_name="Rotate Me")
    ReviewEvent.objects.create(submission=submission, kind="note", text="private note")
    new = Fernet.generate_key().decode()
    use(new, old)
    assert Submission.objects.get(pk=submission.pk).full_name == "Rotate Me"  # old key reads
    call_command("rotate_field_keys", stdout=io.StringIO())
    use(new)  # the old key is gone: everything must now read with the new one alone
    assert Submission.objects.get(pk=submission.pk).full_name == "Rotate Me"
    assert ReviewEvent.objects.get().text == "private note"
    token = raw_row(submission.id)[0]
    assert token.startswith(crypto.PREFIX)
    assert crypto.decrypt(token, "caseapp_submission.full_name") == "Rotate Me"


@pytest.mark.django_db
def test_rows_written_as_fernet_tokens_still_read_and_rotation_rewrites_them(field_keys):
    _use, old = field_keys
    submission = make_submission(full_name="Placeholder")
    legacy = Fernet(old.encode()).encrypt(b"Written Before").decode()
    Submission.objects.filter(pk=submission.pk).update(full_name=RawToken(legacy))
    assert raw_row(submission.id)[0] == legacy
    assert Submission.objects.get(pk=submission.pk).full_name == "Written Before"
    call_command("rotate_field_keys", stdout=io.StringIO())
    token = raw_row(submission.id)[0]
    assert token.startswith(crypto.PREFIX) and token != legacy
    assert Submission.objects.get(pk=submission.pk).full_name == "Written Before"


@pytest.mark.django_db
def test_a_sealed_value_opens_only_in_its_own_column_and_not_once_altered(field_keys):
    submission = make_submission(full_name="Column Bound", email="bound@example.com")
    name_token, email_token = raw_row(submission.id)[:2]
    assert crypto.decrypt(name_token, "caseapp_submission.full_name") == "Column Bound"
    with pytest.raises(crypto.UnreadableToken):
        crypto.decrypt(name_token, "caseapp_submission.email")
    Submission.objects.filter(pk=submission.pk).update(email=RawToken(name_token))
    with pytest.raises(crypto.UnreadableToken, match="Submission.email"):
        Submission.objects.get(pk=submission.pk)
    flipped = email_token[:-6] + ("A" if email_token[-6] != "A" else "B") + email_token[-5:]
    for bad in (flipped, crypto.PREFIX + "not base64!", crypto.PREFIX, "plain text"):
        with pytest.raises(crypto.UnreadableToken):
            crypto.decrypt(bad, "caseapp_submission.email")


@pytest.mark.django_db
def test_a_key_that_cannot_read_a_row_says_which_field(field_keys):
    use, _old = field_keys
    submission = make_submission()
    use(Fernet.generate_key().decode())
    with pytest.raises(Exception, match="Submission.full_name"):
        Submission.objects.get(pk=submission.pk)


@pytest.mark.django_db
def test_rotation_is_audited_without_personal_data(field_keys):
    make_submission(full_name="Audit Person")
    counts = field_keys_rotate()
    assert counts["caseapp.Submission"] == 1
    from caseapp.models import AuditEvent
    event = AuditEvent.objects.get(action="field_keys.rotate")
    assert "Audit Person" not in str(event.details)


def test_local_key_file_is_created_once_and_reused(tmp_path, settings):
    settings.FIELD_KEYS = []
    settings.BLIND_INDEX_KEY = ""
    settings.FIELD_KEY_FILE = tmp_path / "keys"
    crypto.reset_key_cache()
    try:
        token = crypto.encrypt("hello")
        crypto.reset_key_cache()
        assert crypto.decrypt(token) == "hello"
        assert (tmp_path / "keys").stat().st_mode & 0o077 == 0  # readable by the owner only
        crypto.local_key_file_add_field_key()
        assert crypto.decrypt(token) == "hello"
        assert crypto.decrypt(crypto.encrypt("x")) == "x"
        assert len(crypto._keys()[0]) == 2
    finally:
        crypto.reset_key_cache()
