"""Optimistic concurrency for staff edits made from a form loaded earlier."""

from __future__ import annotations


class StaleEditError(Exception):
    """Someone saved the record after this form was loaded; ``current`` is the fresh row."""

    def __init__(self, current):
        super().__init__("the record changed since the form was loaded")
        self.current = current
