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

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._concurrently(schema_editor):
                schema_editor.add_index(model, self.index, concurrently=True)
            else:
                schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._concurrently(schema_editor):
                schema_editor.remove_index(model, self.index, concurrently=True)
            else:
                schema_editor.remove_index(model, self.index)
