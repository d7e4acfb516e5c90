"""Nothing readable in a dump (issue 12): a value planted in every field a person or a staff
member can type, and in a failed sign-in, is found in no text column of any table, nor in the
database's files (SQLite's file and its write-ahead log)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from caseapp.models import SealedTOTPDevice, Submission
from caseapp.selectors.staff_accounts import staff_backup_device
from tests.factories import make_submission
from tests.staff_users import make_staff

PLANTED = {
    "full_name": "Plantname Quorvex",
    "email": "plantmail.quorvex@example.com",
    "phone": "+1 415 555 0199",
    "override_reason": "Plantoverride quorvex reason",
    "note": "Plantnote quorvex about the person",
    "erase_note": "Planterase quorvex asked by phone",
    "failed_username": "Plantpassword-Quorvex-99",
}


def code(device) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def plant_everything() -> dict[str, str]:
    """Plant each value the way it arrives in production; return every secret to look for."""
    secrets = dict(PLANTED)
    make_staff("sue", "Supervisor")
    staff = Client()
    # A failed sign-in, the password typed into the username box.
    staff.post("/staff/login/", {"username": PLANTED["failed_username"], "password": "x" * 12})
    staff.post("/staff/login/", {"username": "sue", "password": "wrong-password-1"})
    from tests.staff_users import PASSWORD

    staff.post("/staff/login/", {"username": "sue", "password": PASSWORD})
    staff.get("/staff/two-factor/setup/")
    device = SealedTOTPDevice.objects.get(confirmed=False)
    staff.post("/staff/two-factor/setup/", {"token": code(device)})
    device.refresh_from_db()
    secrets["totp_hex"] = device.key
    secrets["totp_b32"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    page = staff.post("/staff/two-factor/backup-codes/").content.decode()
    backup = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(backup) == 10 and staff_backup_device(user=device.user) is not None
    secrets["backup_code"] = backup[0].replace("-", "")

    submission = make_submission(full_name=PLANTED["full_name"], email=PLANTED["email"],
                                 phone=PLANTED["phone"])
    url = reverse("staff:review", args=[submission.reference])
    assert staff.post(url, {"review_status": "in_review", "outcome_override": "not_eligible",
                            "override_reason": PLANTED["override_reason"],
                            "version": submission.version}).status_code == 302
    assert staff.post(reverse("staff:note", args=[submission.reference]),
                      {"text": PLANTED["note"]}).status_code == 302
    staff.get(reverse("staff:queue"), {"q": PLANTED["email"]})
    other = make_submission()
    assert staff.post(reverse("staff:erase", args=[other.reference]),
                      {"category": "other", "note": PLANTED["erase_note"],
                       "confirm": "on"}).status_code == 302
    assert Submission.objects.get(pk=submission.pk).override_reason == PLANTED["override_reason"]
    secrets["control"] = submission.reference  # stored in clear: proves the search finds
    return secrets


def every_text_value() -> list[tuple[str, str, str]]:
    """(table, column, value) for every column of every table, read as text."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor,
                                                                                      table)]
            quoted = ", ".join(f"CAST({connection.ops.quote_name(c)} AS TEXT)" for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found.extend((table, col, value) for col, value in zip(columns, row, strict=True)
                             if value)
    return found


def variants(secret: str) -> set[str]:
    """The secret, and each made-up word in it (common words would match by chance)."""
    words = {secret} | {w for w in re.findall(r"[A-Za-z]{6,}", secret)
                        if w.casefold().startswith(("plant", "quorvex"))}
    return {w.casefold() for w in words}


@pytest.mark.django_db(transaction=True)
def test_no_planted_value_is_readable_in_any_column_or_file(case):
    secrets = plant_everything()
    needles = {name: variants(secret) for name, secret in secrets.items()}
    leaks = []
    for table, column, value in every_text_value():
        folded = str(value).casefold()
        leaks += [(name, table, column) for name, words in needles.items()
                  if any(w in folded for w in words)]
    assert ("control", "caseapp_submission", "reference") in leaks
    assert [leak for leak in leaks if leak[0] != "control"] == []

    if connection.vendor == "sqlite":
        connection.close()  # the file and its WAL as a copy taken now would hold them
        path = Path(connection.settings_dict["NAME"])
        found = set()
        for file in (path, Path(f"{path}-wal")):
            if not file.exists():
                continue
            raw = file.read_bytes().lower()
            leaked = [name for name, words in needles.items()
                      if any(w.encode() in raw for w in words)]
            found.update(leaked)
            assert [name for name in leaked if name != "control"] == [], file.name
        assert "control" in found  # the reference is in the file or its log
