"""caseapp.services.audit: the audit log's one writer."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from caseapp.models import AuditEvent
from caseapp.services.audit import audit_record

pytestmark = pytest.mark.django_db


def test_audit_record_takes_the_ip_and_refuses_updates(reviewer):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    event = audit_record(actor=reviewer, action="case.update", target="x",
                         details={"a": 1}, request=request)
    assert (event.ip_address, event.actor_label) == ("203.0.113.9", "rita")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.fixture
def supervisor():
    return get_user_model().objects.create_user("sup", password="x" * 16)


def test_deleting_a_staff_account_keeps_its_audit_trail(supervisor):
    audit_record(actor=supervisor, action="test.action")
    supervisor.delete()
    event = AuditEvent.objects.get(action="test.action")
    assert event.actor is None and event.actor_label == "sup"
