"""The staff workspace's pages and actions, through Django's test client and a real database."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_submission
from tests.staff_pages import detail, queue

pytestmark = pytest.mark.django_db


# --- what the public typed stays harmless -------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> \'quoted\' ' + "W" * 300


def test_public_text_is_escaped_in_every_staff_view(supervisor_client, case):
    submission = make_submission(full_name=HOSTILE, phone="<b>0</b>")
    twin = make_submission(full_name=HOSTILE, email="twin@example.com")
    supervisor_client.post(reverse("staff:note", args=[submission.reference]),
                           {"text": "<script>bad()</script>"})
    pages = [
        queue(supervisor_client),
        detail(supervisor_client, submission),
        detail(supervisor_client, twin),
        supervisor_client.get(reverse("staff:audit")),
        supervisor_client.get(reverse("staff:overview")),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<script>bad" not in html and "<b>0</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in pages[1].content.decode()

