"""caseapp.views.staff.audit: the audit log."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp.models import AuditEvent
from tests.factories import make_submission
from tests.staff_pages import OUT_OF_RANGE, detail

pytestmark = pytest.mark.django_db


def test_audit_log_lists_and_filters_events(supervisor_client, supervisor, reviewer, case):
    submission = make_submission()
    detail(supervisor_client, submission)
    AuditEvent.objects.create(actor=reviewer, actor_label="rita", action="case.update")
    url = reverse("staff:audit")
    all_events = supervisor_client.get(url).context["page"].rows
    assert {e.action for e in all_events} >= {"submission.view", "case.update"}
    only_views = supervisor_client.get(url, {"action": "submission.view"}).context["page"].rows
    assert [e.target for e in only_views] == [submission.reference]
    by_rita = supervisor_client.get(url, {"actor": reviewer.pk}).context["page"].rows
    assert [e.action for e in by_rita] == ["case.update"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert supervisor_client.get(url, {"date_from": tomorrow}).context["page"].rows == []


def test_audit_log_pages(supervisor_client, supervisor):
    for i in range(55):
        AuditEvent.objects.create(actor=supervisor, action="submission.search",
                                  details={"kind": "name", "n": i})
    first = supervisor_client.get(reverse("staff:audit"))
    assert len(first.context["page"].rows) == 50
    second = supervisor_client.get(reverse("staff:audit"),
                                   {"after": first.context["page"].next_cursor})
    # 55 searches and the sign-in (force_login sends the same signal as the form).
    assert len(second.context["page"].rows) == 6
    assert second.context["page"].rows[-1].action == "auth.login"


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_an_audit_date_out_of_range_gets_a_message_not_a_500(supervisor_client, case, field,
                                                             value):
    page = supervisor_client.get(reverse("staff:audit"), {field: value})
    assert page.status_code == 200
    assert "Enter a date between 1 January 2000 and 31 December 2100" in page.content.decode()
