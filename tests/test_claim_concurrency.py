""""Claim next unassigned" when reviewers click at once: PostgreSQL's row locks with SKIP LOCKED.
(SQLite has no row locks; its conditional UPDATE is tested in test_services_staff.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from caseapp.models import Submission
from caseapp.services.review import submission_claim_next
from tests.factories import make_submission
from tests.staff_users import make_staff

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="row locks exist on PostgreSQL only"),
]

ORDER = ["created_at", "id"]


def test_a_claim_passes_over_a_row_another_reviewer_is_claiming(case):
    me = make_staff("rita", "Reviewer")
    first, second = make_submission(), make_submission()
    held, release = threading.Event(), threading.Event()

    def hold_first():
        try:
            with transaction.atomic():
                Submission.objects.select_for_update().get(pk=first.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=hold_first)
    other.start()
    assert held.wait(10)
    try:
        claimed = submission_claim_next(actor=me, candidates=Submission.objects.all(),
                                        order=ORDER)
    finally:
        release.set()
        other.join(10)
    assert claimed.pk == second.pk  # without waiting for the lock on the first


def test_two_reviewers_claiming_at_once_get_different_submissions(case):
    reviewers = [make_staff("rita", "Reviewer"), make_staff("otto", "Reviewer")]
    for _ in range(2):
        make_submission()
    start = threading.Barrier(2)
    claimed: dict[str, int | None] = {}

    def claim(user):
        try:
            start.wait(10)
            result = submission_claim_next(actor=user, candidates=Submission.objects.all(),
                                           order=ORDER)
            claimed[user.username] = result.pk if result else None
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert None not in claimed.values() and len(set(claimed.values())) == 2
    assert {s.assignee.username for s in Submission.objects.select_related("assignee")} == {
        "rita", "otto"}
