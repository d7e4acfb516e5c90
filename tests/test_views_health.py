"""caseapp.views.health: /healthz for load balancers."""

from __future__ import annotations

import json

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from caseapp.views import health


@pytest.mark.django_db
def test_healthz_reports_ok_without_personal_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_answers_only_get_and_is_never_cached(client):
    response = client.get("/healthz")
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    for method in (client.post, client.put, client.delete):
        assert method("/healthz").status_code == 405


def test_a_database_that_does_not_answer_is_a_503_that_says_only_that(rf, django_db_blocker,
                                                                      tmp_path):
    """A real failed connection: a database file in a folder that does not exist, or a
    server port nothing listens on."""
    real = connections[DEFAULT_DB_ALIAS]
    unreachable = {**real.settings_dict}
    if real.vendor == "sqlite":
        unreachable["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        unreachable.update(HOST="127.0.0.1", PORT="1")
    broken = real.__class__(unreachable, alias=DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = broken
    try:
        # Unblocked, so that the failure is the database's and not pytest-django's guard.
        with django_db_blocker.unblock():
            with pytest.raises(OperationalError):
                broken.ensure_connection()
            response = health.healthz(rf.get("/healthz"))
    finally:
        connections[DEFAULT_DB_ALIAS] = real
        broken.close()
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "database": "unreachable"}


@pytest.mark.django_db
def test_a_pending_migration_is_a_503_until_applied_and_then_never_checked_again(
        client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    app, name = MigrationExecutor(connection).loader.graph.leaf_nodes("caseapp")[0]
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(app, name)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "migrations": "pending"}

    recorder.record_applied(app, name)
    assert client.get("/healthz").status_code == 200
    assert health._migrations_applied is True
    # A deployment migrates before its servers start: once seen applied, the (tens of
    # milliseconds) graph build is not repeated for the life of the process.
    recorder.record_unapplied(app, name)
    assert client.get("/healthz").json() == {"status": "ok"}
