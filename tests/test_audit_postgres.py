"""The audit table in PostgreSQL itself (issue 20): the owner cannot TRUNCATE it (a trigger),
and the application role of docs/deploy.md may only read and append. Collected only when the
suite runs on PostgreSQL (tests/conftest.py: files named *_postgres.py), so it never skips."""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, connection, transaction

from caseapp.models import AuditEvent
from caseapp.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def truncate_trigger_on(db):
    """As migrated: the test database turns it off for flushes (tests/conftest.py); this
    test's transaction turns it on again, and rolls that back at the end."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE caseapp_auditevent "
                       "ENABLE TRIGGER caseapp_auditevent_no_truncate")

APP_ROLE = f"caseapp_app_test_{os.getpid()}"

# docs/deploy.md, "Two database roles": what the application role is granted on the audit table.
GRANTS = [
    f"CREATE ROLE {APP_ROLE} NOLOGIN",
    f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    f"GRANT SELECT, INSERT ON caseapp_auditevent TO {APP_ROLE}",
    f"GRANT USAGE ON SEQUENCE caseapp_auditevent_id_seq TO {APP_ROLE}",
]


def refused(sql: str, params=None, match: str = "") -> str:
    with pytest.raises(DatabaseError, match=match) as error, transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


def test_the_owner_cannot_truncate_the_audit_table():
    audit_record(actor=None, action="case.update", target="x")
    with connection.cursor() as cursor:
        # The test's own transaction holds the row's deferred foreign-key check, which
        # PostgreSQL would name instead of the trigger: run it now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused("TRUNCATE caseapp_auditevent", match="append-only: TRUNCATE refused")
    refused("TRUNCATE caseapp_auditevent CASCADE", match="append-only: TRUNCATE refused")
    assert AuditEvent.objects.count() == 1


def test_the_application_role_may_only_read_and_append():
    event = audit_record(actor=None, action="case.update", target="x")
    with connection.cursor() as cursor:
        for statement in GRANTS:
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {APP_ROLE}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM caseapp_auditevent")
            assert cursor.fetchone()[0] == 1
            cursor.execute("INSERT INTO caseapp_auditevent (actor_label, action, target, "
                           "details, note, ip_digest, created_at) VALUES ('', 'auth.login', "
                           "'', '{}', '', '', now())")
        for sql in ("UPDATE caseapp_auditevent SET action = 'forged' WHERE id = %s",
                    "DELETE FROM caseapp_auditevent WHERE id = %s"):
            refused(sql, [event.pk], match="permission denied")
        refused("TRUNCATE caseapp_auditevent", match="permission denied")
        for sql in ("ALTER TABLE caseapp_auditevent DISABLE TRIGGER ALL",
                    "ALTER TABLE caseapp_auditevent DISABLE TRIGGER caseapp_auditevent_no_truncate",
                    "DROP TRIGGER caseapp_auditevent_append_only ON caseapp_auditevent"):
            refused(sql, match="must be owner")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.get(pk=event.pk).action == "case.update"
