"""``seed_demo`` makes fake, findable, spread-out submissions and plausible counters."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from caseapp.models import DailyCount, ReviewEvent, Submission
from caseapp.selectors.overview import submissions_per_week
from caseapp.selectors.queue import submission_search

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_fake_spread_out_submissions(case, settings):
    settings.DEBUG = True
    call_command("seed_demo", count=400, weeks=8, seed=7, stdout=None)
    assert Submission.objects.count() == 400
    sample = list(Submission.objects.all()[:50])
    assert all(s.full_name.upper().startswith("DEMO PERSON") for s in sample)
    assert all(s.email.lower().endswith(("@example.com", "@example.org")) for s in sample)
    assert set(Submission.objects.values_list("outcome", flat=True)) == {
        "eligible", "needs_review"}
    assert len(set(Submission.objects.values_list("review_status", flat=True))) == 5
    weeks = [w.count for w in submissions_per_week(weeks=10)]
    assert sum(weeks) == 400 and sum(1 for n in weeks if n) >= 8
    assert Submission.objects.filter(possible_duplicate=True).count() > 0
    assert ReviewEvent.objects.exists()
    # Those waiting for information wait on a request, as on every other path.
    waiting = Submission.objects.filter(review_status="needs_info")
    assert waiting.exists() and not waiting.exclude(
        info_requests__answered_at__isnull=True).exists()
    registered = DailyCount.objects.filter(metric="registered").aggregate(n=Sum("count"))["n"]
    started = DailyCount.objects.filter(metric="started").aggregate(n=Sum("count"))["n"]
    assert registered == 400 and started > registered


def test_seeded_people_are_found_by_the_staff_search(case, settings):
    settings.DEBUG = True
    call_command("seed_demo", count=50, seed=3, stdout=None)
    person = Submission.objects.order_by("id").first()
    for text in (person.email.upper(), person.full_name.lower(), person.reference):
        search = submission_search(text=text)
        assert Submission.objects.filter(search.condition).filter(pk=person.pk).exists(), text


def test_seed_demo_refuses_a_production_database(case, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", count=1)


def test_seeded_acceptances_are_eligible_as_the_app_makes_them(case, settings):
    """Walked on 3,000 demo rows: 79 were "accepted" with the automatic outcome "needs review"
    and no override, which the app never makes (accepting one accepts it as eligible, with a
    reason): the overview said "526 of the 605 accepted" count toward exposure."""
    settings.DEBUG = True
    call_command("seed_demo", count=400, weeks=8, seed=7, stdout=None)
    accepted = Submission.objects.filter(review_status="accepted")
    assert accepted.filter(outcome="needs_review").exists()
    assert not accepted.exclude(outcome="eligible").exclude(outcome_override="eligible").exists()
    assert not accepted.filter(outcome_override="eligible", override_reason="").exists()
    overridden = accepted.filter(outcome="needs_review").count()
    assert ReviewEvent.objects.filter(kind=ReviewEvent.Kind.OVERRIDE, to_value="eligible",
                                      submission__outcome="needs_review",
                                      submission__review_status="accepted").count() == overridden
