"""caseapp.management.commands.generate_field_keys: fresh keys for a secret store."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from caseapp import crypto


def generate() -> dict[str, str]:
    out = StringIO()
    call_command("generate_field_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "CASEAPP_FIELD_KEYS", "CASEAPP_BLIND_INDEX_KEY"]
    return dict(line.split("=", 1) for line in lines)


def test_the_printed_keys_seal_and_index_personal_data(settings):
    keys = generate()
    settings.FIELD_KEYS = [keys["CASEAPP_FIELD_KEYS"]]
    settings.BLIND_INDEX_KEY = keys["CASEAPP_BLIND_INDEX_KEY"]
    crypto.reset_key_cache()
    try:
        token = crypto.encrypt("Ana María", "caseapp_submission.full_name")
        assert crypto.decrypt(token, "caseapp_submission.full_name") == "Ana María"
        assert crypto.blind_index("ana@example.com")
    finally:
        crypto.reset_key_cache()
    assert len(keys["CASEAPP_BLIND_INDEX_KEY"]) >= 43  # 32 random bytes in base64


def test_every_run_prints_new_keys():
    first, second = generate(), generate()
    assert first["CASEAPP_FIELD_KEYS"] != second["CASEAPP_FIELD_KEYS"]
    assert first["CASEAPP_BLIND_INDEX_KEY"] != second["CASEAPP_BLIND_INDEX_KEY"]
