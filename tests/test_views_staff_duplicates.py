"""Possible duplicates side by side: the comparison, keeping one, the marks and the audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from caseapp.models import AuditEvent, ReviewEvent, Submission
from tests.factories import make_submission
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return make_staff("rita", "Reviewer")


def test_the_comparison_shows_each_field_side_by_side_and_marks_differences(client, reviewer,
                                                                          case):
    client.force_login(reviewer)
    first = make_submission(full_name="Ada Lovelace", email="ada@example.com", state="NY")
    second = make_submission(full_name="Ada Lovelace", email="ADA@example.com ", state="CA")
    response = client.get(reverse("staff:compare", args=[second.reference]))
    html = response.content.decode()
    assert [s.reference for s in response.context["group"]] == [second.reference,
                                                                 first.reference]
    rows = {str(row["label"]): row for row in response.context["rows"]}
    assert rows["Name"]["cells"] == ["Ada Lovelace", "Ada Lovelace"]
    assert not rows["Name"]["differs"] and rows["State"]["differs"]
    assert "Keep this one" in html and 'value="' + first.reference + '" id="keep-' in html
    event = AuditEvent.objects.get(action="submission.compare")
    assert event.details == {"shown": sorted([first.reference, second.reference])}


def test_keeping_one_marks_the_others_audited_and_on_their_timelines(client, reviewer, case):
    client.force_login(reviewer)
    a = make_submission(email="same@example.com")
    b = make_submission(email="same@example.com")
    c = make_submission(email="same@example.com")
    response = client.post(reverse("staff:compare", args=[b.reference]),
                           {"keep": a.reference, "mark": [b.reference, c.reference]})
    assert response["Location"] == reverse("staff:submission", args=[a.reference])
    assert set(Submission.objects.filter(duplicate_of=a).values_list("pk", flat=True)) == {
        b.pk, c.pk}
    assert ReviewEvent.objects.filter(kind="duplicate", to_value=a.reference).count() == 2
    event = AuditEvent.objects.get(action="submission.merge")
    assert event.details == {"kept": a.reference,
                             "marked": sorted([b.reference, c.reference])}


def test_keeping_needs_a_choice_and_the_review_permission(client, reviewer, case):
    a = make_submission(email="same@example.com")
    b = make_submission(email="same@example.com")
    client.force_login(reviewer)
    response = client.post(reverse("staff:compare", args=[a.reference]), {"keep": a.reference})
    assert response.status_code == 400 and "tick at least one other" in response.content.decode()
    viewer = make_staff("vera")
    from django.contrib.auth.models import Permission
    viewer.user_permissions.add(Permission.objects.get(codename="view_submission"))
    client.force_login(viewer)
    response = client.post(reverse("staff:compare", args=[a.reference]),
                           {"keep": a.reference, "mark": [b.reference]})
    assert response.status_code == 403
    assert not Submission.objects.filter(duplicate_of__isnull=False).exists()
