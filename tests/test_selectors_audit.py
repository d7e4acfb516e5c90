"""caseapp.selectors.audit: the audit log as staff read it."""

from __future__ import annotations

import pytest

from caseapp.selectors.audit import AUDIT_ACTIONS

pytestmark = pytest.mark.django_db


def test_every_audited_action_can_be_chosen_in_the_audit_filter():
    import pathlib
    import re


    app = pathlib.Path(__file__).resolve().parent.parent / "caseapp"
    source = "".join(p.read_text() for p in app.rglob("*.py"))
    recorded = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
    assert recorded <= set(AUDIT_ACTIONS), recorded - set(AUDIT_ACTIONS)
