"""Migration operations for large tables (the loader skips modules whose name starts with _)."""

from django.db import NotSupportedError
from django.db.migrations import AddIndex


class AddIndexConcurrentlyOnPostgres(AddIndex):
    """``AddIndex`` that builds the index with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so
    registrations keep being written while it builds, and plainly elsewhere (SQLite has no
    such option and needs none for a test or a demo). Its migration must set
    ``atomic = False``: PostgreSQL refuses CONCURRENTLY inside a transaction."""

    atomic = False

    def _concurrently(self, schema_editor) -> bool:
        if schema_editor.connection.vendor != "postgresql":
            return False
        if schema_editor.connection.in_atomic_block:
            raise NotSupportedError(
                f"{self.__class__.__name__} cannot run inside a transaction "
                "(set atomic = False on the migration)."
            )
        return True

    def _apply(self, schema_editor, model, *, add: bool) -> None:
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        change = schema_editor.add_index if add else schema_editor.remove_index
        if self._concurrently(schema_editor):
            change(model, self.index, concurrently=True)
        else:
            change(model, self.index)  # only PostgreSQL's schema editor takes concurrently

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._apply(schema_editor, to_state.apps.get_model(app_label, self.model_name), add=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._apply(schema_editor, from_state.apps.get_model(app_label, self.model_name),
                    add=False)


class RemoveIndexConcurrentlyOnPostgres(AddIndexConcurrentlyOnPostgres):
    """``RemoveIndex``'s counterpart: ``DROP INDEX CONCURRENTLY`` on PostgreSQL, plainly
    elsewhere. Same rule: the migration sets ``atomic = False``."""

    def state_forwards(self, app_label, state):
        state.remove_index(app_label, self.model_name_lower, self.index.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._apply(schema_editor, from_state.apps.get_model(app_label, self.model_name),
                    add=False)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._apply(schema_editor, to_state.apps.get_model(app_label, self.model_name), add=True)

    def describe(self):
        return f"Remove index {self.index.name} from {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"remove_{self.model_name_lower}_{self.index.name.lower()}"


# --- the overview's running counts -------------------------------------------------------------
# Row triggers on caseapp_submission keep caseapp_submissiontally equal to
# SELECT outcome, outcome_override, review_status, COUNT(*) ... GROUP BY 1, 2, 3
# in the writing transaction, whatever writes: the services, the admin, a raw UPDATE.

_KEY = "(outcome, outcome_override, review_status)"

TALLY_SQL = {
    "postgresql": [
        f"""
        CREATE FUNCTION caseapp_submission_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          -- An update takes its two tally rows in key order, so that two transactions moving
          -- submissions in opposite directions never wait on each other (no deadlock).
          IF TG_OP = 'UPDATE' AND (OLD.outcome, OLD.outcome_override, OLD.review_status)
                                  > (NEW.outcome, NEW.outcome_override, NEW.review_status) THEN
            INSERT INTO caseapp_submissiontally {_KEY[:-1]}, total)
              VALUES (NEW.outcome, NEW.outcome_override, NEW.review_status, 1)
              ON CONFLICT {_KEY} DO UPDATE SET total = caseapp_submissiontally.total + 1;
            UPDATE caseapp_submissiontally SET total = total - 1
              WHERE outcome = OLD.outcome AND outcome_override = OLD.outcome_override
                AND review_status = OLD.review_status;
            RETURN NULL;
          END IF;
          IF TG_OP <> 'INSERT' THEN
            UPDATE caseapp_submissiontally SET total = total - 1
              WHERE outcome = OLD.outcome AND outcome_override = OLD.outcome_override
                AND review_status = OLD.review_status;
          END IF;
          IF TG_OP <> 'DELETE' THEN
            INSERT INTO caseapp_submissiontally {_KEY[:-1]}, total)
              VALUES (NEW.outcome, NEW.outcome_override, NEW.review_status, 1)
              ON CONFLICT {_KEY} DO UPDATE SET total = caseapp_submissiontally.total + 1;
          END IF;
          RETURN NULL;
        END $$""",
        """
        CREATE TRIGGER caseapp_submission_tally_insert_delete
          AFTER INSERT OR DELETE ON caseapp_submission
          FOR EACH ROW EXECUTE FUNCTION caseapp_submission_tally()""",
        """
        CREATE TRIGGER caseapp_submission_tally_update
          AFTER UPDATE OF outcome, outcome_override, review_status ON caseapp_submission
          FOR EACH ROW WHEN ((OLD.outcome, OLD.outcome_override, OLD.review_status)
                             IS DISTINCT FROM (NEW.outcome, NEW.outcome_override, NEW.review_status))
          EXECUTE FUNCTION caseapp_submission_tally()""",
        # TRUNCATE fires no row trigger: empty the tally with the table.
        """
        CREATE FUNCTION caseapp_submission_tally_truncate() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN DELETE FROM caseapp_submissiontally; RETURN NULL; END $$""",
        """
        CREATE TRIGGER caseapp_submission_tally_truncate AFTER TRUNCATE ON caseapp_submission
          FOR EACH STATEMENT EXECUTE FUNCTION caseapp_submission_tally_truncate()""",
    ],
    # SQLite writes one transaction at a time, so there is no lock order to keep.
    "sqlite": [
        f"""
        CREATE TRIGGER caseapp_submission_tally_insert AFTER INSERT ON caseapp_submission
        BEGIN
          INSERT INTO caseapp_submissiontally {_KEY[:-1]}, total)
            VALUES (NEW.outcome, NEW.outcome_override, NEW.review_status, 1)
            ON CONFLICT {_KEY} DO UPDATE SET total = total + 1;
        END""",
        """
        CREATE TRIGGER caseapp_submission_tally_delete AFTER DELETE ON caseapp_submission
        BEGIN
          UPDATE caseapp_submissiontally SET total = total - 1
            WHERE outcome = OLD.outcome AND outcome_override = OLD.outcome_override
              AND review_status = OLD.review_status;
        END""",
        f"""
        CREATE TRIGGER caseapp_submission_tally_update
          AFTER UPDATE OF outcome, outcome_override, review_status ON caseapp_submission
          WHEN OLD.outcome IS NOT NEW.outcome OR OLD.outcome_override IS NOT NEW.outcome_override
               OR OLD.review_status IS NOT NEW.review_status
        BEGIN
          UPDATE caseapp_submissiontally SET total = total - 1
            WHERE outcome = OLD.outcome AND outcome_override = OLD.outcome_override
              AND review_status = OLD.review_status;
          INSERT INTO caseapp_submissiontally {_KEY[:-1]}, total)
            VALUES (NEW.outcome, NEW.outcome_override, NEW.review_status, 1)
            ON CONFLICT {_KEY} DO UPDATE SET total = total + 1;
        END""",
    ],
}

TALLY_DROP_SQL = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS caseapp_submission_tally_truncate ON caseapp_submission",
        "DROP TRIGGER IF EXISTS caseapp_submission_tally_update ON caseapp_submission",
        "DROP TRIGGER IF EXISTS caseapp_submission_tally_insert_delete ON caseapp_submission",
        "DROP FUNCTION IF EXISTS caseapp_submission_tally_truncate()",
        "DROP FUNCTION IF EXISTS caseapp_submission_tally()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS caseapp_submission_tally_update",
        "DROP TRIGGER IF EXISTS caseapp_submission_tally_delete",
        "DROP TRIGGER IF EXISTS caseapp_submission_tally_insert",
    ],
}

TALLY_BACKFILL_SQL = f"""
    INSERT INTO caseapp_submissiontally {_KEY[:-1]}, total)
    SELECT outcome, outcome_override, review_status, COUNT(*) FROM caseapp_submission
    GROUP BY outcome, outcome_override, review_status"""


def _vendor_sql(statements: dict, schema_editor) -> list[str]:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise NotSupportedError(f"caseapp's submission tally has no triggers for {vendor}")
    return statements[vendor]


def tally_triggers_create(apps, schema_editor) -> None:
    """Create the triggers, then count what is already there. On PostgreSQL the table is
    locked against writes (reads go on) from before the triggers exist until the count is
    in, so no row is counted twice or missed; at a million rows that is under a second."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("LOCK TABLE caseapp_submission IN SHARE ROW EXCLUSIVE MODE")
    for statement in _vendor_sql(TALLY_SQL, schema_editor):
        schema_editor.execute(statement)
    schema_editor.execute("DELETE FROM caseapp_submissiontally")
    schema_editor.execute(TALLY_BACKFILL_SQL)


def tally_triggers_drop(apps, schema_editor) -> None:
    for statement in _vendor_sql(TALLY_DROP_SQL, schema_editor):
        schema_editor.execute(statement)
