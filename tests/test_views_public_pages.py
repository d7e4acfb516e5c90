"""caseapp.views.public.pages: pages beside the check: privacy, and the error pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_privacy_page_lists_what_is_kept(client, case):
    html = client.get("/privacy/").content.decode()
    assert "encrypted" in html and "anonymous" in html
    # Where the answers really are (caseapp/drafts.py), and for how long.
    assert "kept only in your browser" in html and "session" not in html
    assert f"expires after {case.draft_retention_hours} hours" in html
    spanish = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "solo en su navegador" in spanish
    assert f"vence después de {case.draft_retention_hours} horas" in spanish
