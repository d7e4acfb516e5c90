"""Fill the database with clearly fake submissions for demos and load measurements."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import random
import secrets
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from caseapp import eligibility, selectors, services, wording
from caseapp.models import DailyCount, ReviewEvent, Submission

BATCH = 2000

#: Answer sets a person can register with, and how often each appears.
ANSWER_SETS = [
    (60, {"country": "US", "premium": "yes", "premium_before_cutoff": "yes", "inmail": "both",
          "inmail_before_cutoff": "yes", "affiliation": "none"}),
    (25, {"country": "US", "premium": "yes", "premium_before_cutoff": "yes",
          "inmail": "received", "inmail_before_cutoff": "yes", "affiliation": "none"}),
    (15, {"country": "US", "premium": "yes", "premium_before_cutoff": "yes", "inmail": "sent",
          "inmail_before_cutoff": "yes", "affiliation": "none"}),
    (10, {"country": "US", "premium": "unsure", "premium_before_cutoff": "unsure",
          "inmail": "both", "inmail_before_cutoff": "yes", "affiliation": "none"}),
    (10, {"country": "US", "premium": "yes", "premium_before_cutoff": "yes", "inmail": "unsure",
          "inmail_before_cutoff": "unsure", "affiliation": "none"}),
    (6, {"country": "US", "premium": "yes", "premium_before_cutoff": "unsure",
         "inmail": "received", "inmail_before_cutoff": "unsure", "affiliation": "none"}),
    (4, {"country": "OTHER", "premium": "yes", "premium_before_cutoff": "yes", "inmail": "both",
         "inmail_before_cutoff": "yes", "affiliation": "none"}),
]
STATES = [("CA", 14), ("TX", 9), ("NY", 8), ("FL", 7), ("IL", 5), ("PA", 4), ("OH", 4),
          ("WA", 4), ("GA", 3), ("NC", 3), ("MA", 3), ("NJ", 3), ("VA", 3), ("CO", 2),
          ("AZ", 2), ("MI", 2), ("MN", 2), ("OR", 2), ("MD", 2), ("DC", 1), ("PR", 1)]
REVIEW_MIX = [("new", 45), ("in_review", 20), ("accepted", 20), ("needs_info", 8),
              ("rejected", 7)]
DUPLICATE_SHARE = 0.03


@contextlib.contextmanager
def _explicit_created_at(*models):
    """Let bulk_create keep the spread-out ``created_at`` the demo gives each row.

    ``auto_now_add`` would stamp every row with now; the chart needs past weeks.
    """
    fields = [model._meta.get_field("created_at") for model in models]
    saved = [field.auto_now_add for field in fields]
    try:
        for field in fields:
            field.auto_now_add = False
        yield
    finally:
        for field, value in zip(fields, saved, strict=True):
            field.auto_now_add = value


class Command(BaseCommand):
    help = ("Create N clearly fake submissions (\"Demo Person …\", example.com/.org emails) "
            "spread over past weeks, with a few duplicates, and matching daily counts.")

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=2000)
        parser.add_argument("--weeks", type=int, default=20,
                            help="Spread the submissions over this many past weeks.")
        parser.add_argument("--seed", type=int, default=None,
                            help="Random seed, for a repeatable data set.")
        parser.add_argument("--force", action="store_true",
                            help="Allow seeding when DEBUG is off (never on real data).")

    def handle(self, *args, count: int, weeks: int, seed: int | None, force: bool, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if weeks < 1:
            raise CommandError("--weeks must be at least 1.")
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like a real deployment. Demo data "
                               "would mix with real submissions; pass --force if you mean it.")
        rng = random.Random(seed)
        started = time.perf_counter()
        created = self._seed(rng, count=count, weeks=weeks)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Created {created} demo submissions in {elapsed:.1f} s."))

    def _seed(self, rng: random.Random, *, count: int, weeks: int) -> int:
        case = selectors.case_current()
        reviewers = list(selectors.staff_reviewers())
        answer_sets = []
        for weight, answers in ANSWER_SETS:
            determination = eligibility.evaluate(answers)
            answer_sets.append((weight, eligibility.applicable_answers(answers), determination))
        now = timezone.now()
        span = datetime.timedelta(weeks=weeks).total_seconds()
        per_day = Counter()
        run = secrets.token_hex(3)
        people: list[tuple[str, str, str]] = []
        created = 0
        serial = itertools.count(1)
        with _explicit_created_at(Submission, ReviewEvent):
            while created < count:
                size = min(BATCH, count - created)
                rows, events_for = [], []
                references = self._references(size)
                for reference in references:
                    n = next(serial)
                    _w, answers, determination = rng.choices(
                        answer_sets, weights=[w for w, _a, _d in answer_sets])[0]
                    state = ("outside_us" if answers["country"] == "OTHER"
                             else rng.choices([s for s, _ in STATES],
                                              weights=[w for _, w in STATES])[0])
                    full_name = f"Demo Person {run}-{n:06d}"
                    domain = "example.com" if n % 3 else "example.org"
                    email = f"demo.person.{run}.{n:06d}@{domain}"
                    if people and rng.random() < DUPLICATE_SHARE:
                        other_name, other_email, other_state = rng.choice(people[-5000:])
                        if rng.random() < 0.5:
                            email = other_email.upper()  # the same once normalised
                        else:
                            full_name, state = other_name.upper(), other_state
                    else:
                        people.append((full_name, email, state))
                    # Newer weeks get more submissions, as a campaign gains attention.
                    age = span * (1 - rng.random() ** 0.6)
                    created_at = now - datetime.timedelta(seconds=age)
                    status = rng.choices([s for s, _ in REVIEW_MIX],
                                         weights=[w for _, w in REVIEW_MIX])[0]
                    override, reason = "", ""
                    if status in ("accepted", "rejected") and rng.random() < 0.3:
                        override = "not_eligible" if status == "rejected" else "eligible"
                        reason = "Demo: confirmed with the person by phone."
                    rows.append(Submission(
                        case=case, reference=reference,
                        idempotency_key=f"demo-{secrets.token_hex(16)}",
                        answers=answers, outcome=determination.outcome.value,
                        estimated_damages=determination.estimated_damages,
                        rules_version=determination.rules_version,
                        consent_version=wording.CONSENT_CONTACT.version,
                        attestation_version=wording.ATTESTATION.version,
                        notice_version=wording.PRIVACY_NOTICE.version,
                        language="es" if rng.random() < 0.08 else "en",
                        full_name=full_name, email=email,
                        phone=f"+1 555 01{rng.randrange(100):02d}" if rng.random() < 0.4 else "",
                        state=state,
                        **services.submission_indexes(full_name=full_name, email=email,
                                                      state=state),
                        review_status=status, outcome_override=override,
                        override_reason=reason,
                        assignee=(rng.choice(reviewers)
                                  if reviewers and status != "new" and rng.random() < 0.8
                                  else None),
                        created_at=created_at,
                    ))
                    per_day[timezone.localdate(created_at)] += 1
                    events_for.append((status, override, reason, created_at))
                with transaction.atomic():
                    Submission.objects.bulk_create(rows, batch_size=500)
                    ReviewEvent.objects.bulk_create(
                        self._events(rows, events_for, rng, now), batch_size=1000)
                created += size
        services.submission_refresh_duplicate_flags()
        self._daily_counts(per_day, rng)
        return created

    @staticmethod
    def _references(size: int) -> list[str]:
        """Fresh references, none already stored (29**8 leaves rare collisions at scale)."""
        references: set[str] = set()
        while len(references) < size:
            wanted = {services.reference_generate() for _ in range(size - len(references))}
            taken = set(Submission.objects.filter(reference__in=wanted)
                        .values_list("reference", flat=True))
            references |= wanted - taken
        return list(references)

    @staticmethod
    def _events(rows, events_for, rng, now) -> list[ReviewEvent]:
        events = []
        for row, (status, override, reason, created_at) in zip(rows, events_for, strict=True):
            if status == "new":
                continue
            when = min(created_at + datetime.timedelta(hours=rng.randrange(1, 240)), now)
            events.append(ReviewEvent(submission=row, actor=row.assignee, kind="status",
                                      from_value="new", to_value="in_review", created_at=when))
            if status != "in_review":
                when = min(when + datetime.timedelta(hours=rng.randrange(1, 72)), now)
                events.append(ReviewEvent(submission=row, actor=row.assignee, kind="status",
                                          from_value="in_review", to_value=status,
                                          created_at=when))
            if override:
                events.append(ReviewEvent(submission=row, actor=row.assignee, kind="override",
                                          from_value=row.outcome, to_value=override,
                                          text=reason, created_at=when))
        return events

    @staticmethod
    def _daily_counts(per_day: Counter, rng: random.Random) -> None:
        """Plausible funnel counters around the registrations: more start than finish."""
        wanted: dict[tuple[datetime.date, str], int] = Counter()
        metric = DailyCount.Metric
        for day, registered in per_day.items():
            eligible_share = rng.uniform(0.5, 0.6)
            finished_yes = round(registered * rng.uniform(1.15, 1.4))
            wanted[day, metric.REGISTERED] += registered
            wanted[day, metric.FINISHED_ELIGIBLE] += round(finished_yes * eligible_share)
            wanted[day, metric.FINISHED_NEEDS_REVIEW] += finished_yes - round(
                finished_yes * eligible_share)
            wanted[day, metric.FINISHED_NOT_ELIGIBLE] += round(registered * rng.uniform(0.6, 1))
            wanted[day, metric.STARTED] += round(registered * rng.uniform(2.4, 3.2))
        with transaction.atomic():
            existing = {(c.day, c.metric): c for c in DailyCount.objects.filter(
                day__in={day for day, _m in wanted})}
            changed, new = [], []
            for (day, name), amount in wanted.items():
                if (day, name) in existing:
                    row = existing[day, name]
                    row.count += amount
                    changed.append(row)
                else:
                    new.append(DailyCount(day=day, metric=name, count=amount))
            DailyCount.objects.bulk_update(changed, ["count"], batch_size=500)
            DailyCount.objects.bulk_create(new, batch_size=500)
