"""Fill the database with clearly fake submissions for demos and load measurements."""

from __future__ import annotations

import datetime
import functools
import itertools
import random
import secrets
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from caseapp import crypto, eligibility, wording
from caseapp.crypto import EncryptedTextField
from caseapp.models import (
    DailyCount,
    InfoRequest,
    InfoRequestReason,
    ReviewEvent,
    Submission,
    SubmissionNameToken,
)
from caseapp.references import reference_generate
from caseapp.selectors.case_record import case_current
from caseapp.selectors.staff_accounts import staff_reviewers
from caseapp.services.intake import submission_indexes, submission_refresh_duplicate_flags

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


def _insert(model, rows: list[dict]) -> None:
    """Insert plain dicts with one ``executemany``, preparing each value as its field would.

    ``bulk_create`` prepares every value through several layers and, on SQLite, is held to
    999 parameters (about 40 submissions) per statement; at 100,000 rows that overhead costs
    more than the encryption itself. Encrypted fields are sealed here exactly as
    ``EncryptedTextField`` seals them; ``created_at`` keeps the past
    date the demo gives it (``auto_now_add`` would stamp now).
    """
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]

    def converter(field):
        if isinstance(field, EncryptedTextField):
            return lambda v, context=field.context: crypto.encrypt(v, context) if v else v
        if isinstance(field, models.DateTimeField):
            return functools.lru_cache(maxsize=1)(connection.ops.adapt_datetimefield_value)
        if isinstance(field, models.JSONField):
            return lambda v: field.get_db_prep_save(v, connection)
        return lambda v: v

    converters = [converter(field) for field in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [[convert(row[name]) for convert, name in zip(converters, names, strict=True)]
              for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the batch in one statement: about 10 times faster than executemany
            # for a million rows, whose per-row INSERTs each update a dozen indexes apart.
            copy_sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields))
            with cursor.cursor.copy(copy_sql) as copy:
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, params)


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
        if connection.vendor == "sqlite":
            # Five indexes take random keys (reference, idempotency key, blind indexes); with
            # SQLite's 2 MB default page cache each insert rereads evicted index pages.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
        started = time.perf_counter()
        created = self._seed(rng, count=count, weeks=weeks)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Created {created} demo submissions in {elapsed:.1f} s."))

    def _seed(self, rng: random.Random, *, count: int, weeks: int) -> int:
        case = case_current()
        reviewer_ids = [user.pk for user in staff_reviewers()]
        answer_sets = []
        for weight, answers in ANSWER_SETS:
            determination = eligibility.evaluate(answers)
            answer_sets.append((weight, eligibility.applicable_answers(answers), determination))
        weights = [weight for weight, _a, _d in answer_sets]
        state_codes, state_weights = zip(*STATES, strict=True)
        statuses, status_weights = zip(*REVIEW_MIX, strict=True)
        now = timezone.now()
        span = datetime.timedelta(weeks=weeks).total_seconds()
        per_day = Counter()
        run = secrets.token_hex(3)
        people: list[tuple[str, str, str]] = []
        serial = itertools.count(1)
        fixed = {
            "case_id": case.pk,
            "consent_version": wording.CONSENT_CONTACT.version,
            "attestation_version": wording.ATTESTATION.version,
            "notice_version": wording.PRIVACY_NOTICE.version,
            "duplicate_of_id": None, "personal_data_erased_at": None,
            "possible_duplicate": False, "version": 1, "updated_at": now,
        }
        # Newer weeks get more submissions, as a campaign gains attention. Oldest first: real
        # rows arrive in time order, so the table's physical order follows created_at, which
        # the queue's and the export's index scans rely on (random order made the benchmark's
        # export read a random heap page per row).
        ages = iter(sorted((span * (1 - rng.random() ** 0.6) for _ in range(count)),
                           reverse=True))
        # Demo names share most of their words ("demo", "person", the run): hash each once.
        token_index = functools.lru_cache(maxsize=4096)(crypto.name_token_index)
        created = 0
        while created < count:
            size = min(BATCH, count - created)
            rows = []
            for reference in self._references(size, rng):
                n = next(serial)
                _w, answers, determination = rng.choices(answer_sets, weights=weights)[0]
                state = ("outside_us" if answers["country"] == "OTHER"
                         else rng.choices(state_codes, weights=state_weights)[0])
                full_name = f"Demo Person {run}-{n:06d}"
                domain = "example.org" if n % 3 == 0 else "example.com"
                email = f"demo.person.{run}.{n:06d}@{domain}"
                if people and rng.random() < DUPLICATE_SHARE:
                    other_name, other_email, other_state = rng.choice(people[-5000:])
                    if rng.random() < 0.5:
                        email = other_email.upper()  # the same once normalised
                    else:
                        full_name, state = other_name.upper(), other_state
                else:
                    people.append((full_name, email, state))
                created_at = now - datetime.timedelta(seconds=next(ages))
                status = rng.choices(statuses, weights=status_weights)[0]
                override, reason = "", ""
                if status in ("accepted", "rejected") and rng.random() < 0.3:
                    override = "not_eligible" if status == "rejected" else "eligible"
                    reason = "Demo: confirmed with the person by phone."
                if status == "accepted" and not override \
                        and determination.outcome.value != "eligible":
                    # As the app decides: accepting a "needs review" one accepts it as
                    # eligible, with a reason (else the demo's overview counted 79 of 3,000
                    # accepted registrations in no exposure figure).
                    override, reason = "eligible", "Demo: accepted as eligible, invoice seen."
                rows.append({
                    **fixed,
                    "reference": reference,
                    "idempotency_key": f"demo-{secrets.token_hex(16)}",
                    "answers": answers,
                    "outcome": determination.outcome.value,
                    "estimated_damages": determination.estimated_damages,
                    "rules_version": determination.rules_version,
                    "language": "es" if rng.random() < 0.08 else "en",
                    "full_name": full_name,
                    "email": email,
                    "phone": f"+1 555 01{rng.randrange(100):02d}" if rng.random() < 0.4 else "",
                    "state": state,
                    **submission_indexes(full_name=full_name, email=email, state=state),
                    "review_status": status,
                    "outcome_override": override,
                    "override_reason": reason,
                    "assignee_id": (rng.choice(reviewer_ids)
                                    if reviewer_ids and status != "new" and rng.random() < 0.8
                                    else None),
                    "created_at": created_at,
                })
                per_day[timezone.localdate(created_at)] += 1
            with transaction.atomic():
                _insert(Submission, rows)
                ids = dict(Submission.objects.filter(
                    reference__in=[row["reference"] for row in rows]
                ).values_list("reference", "id"))
                _insert(ReviewEvent, self._events(rows, ids, rng, now))
                self._info_requests(rows, ids, now)
                _insert(SubmissionNameToken, [
                    {"submission_id": ids[row["reference"]], "token_index": token_index(token)}
                    for row in rows for token in crypto.name_tokens(row["full_name"])])
            created += size
        submission_refresh_duplicate_flags()
        self._daily_counts(per_day, rng)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Each batch added to the same few tally rows thousands of times in one
            # transaction, which leaves that many dead row versions behind (48 MB for 14 rows
            # at a million): give the overview its few rows back. Registrations, one per
            # transaction, leave nothing like it.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM FULL caseapp_submissiontally")
                # A bulk load: the planner is blind until the statistics are fresh (a
                # filtered queue page took 1.4 s at a million rows before, 0.1 ms after).
                cursor.execute("ANALYZE")
        return created

    @staticmethod
    def _references(size: int, rng: random.Random) -> list[str]:
        """Fresh references in the real format, none already stored (29**8 leaves rare
        collisions at scale). Demo references need not be unguessable, so ``rng`` draws them."""
        references: set[str] = set()
        while len(references) < size:
            wanted = {reference_generate(rng) for _ in range(size - len(references))}
            taken = set(Submission.objects.filter(reference__in=wanted)
                        .values_list("reference", flat=True))
            references |= wanted - taken
        return list(references)

    @staticmethod
    def _events(rows: list[dict], ids: dict[str, int], rng, now) -> list[dict]:
        """A reviewed demo submission gets the timeline a reviewer would have left."""
        events = []
        for row in rows:
            status = row["review_status"]
            if status == "new":
                continue
            when = min(row["created_at"] + datetime.timedelta(hours=rng.randrange(1, 240)), now)
            base = {"submission_id": ids[row["reference"]], "actor_id": row["assignee_id"],
                    "kind": ReviewEvent.Kind.STATUS, "text": ""}
            events.append({**base, "from_value": "new", "to_value": "in_review",
                           "created_at": when})
            if status != "in_review":
                when = min(when + datetime.timedelta(hours=rng.randrange(1, 72)), now)
                events.append({**base, "from_value": "in_review", "to_value": status,
                                "created_at": when})
            if row["outcome_override"]:
                events.append({**base, "kind": ReviewEvent.Kind.OVERRIDE,
                               "from_value": row["outcome"], "to_value": row["outcome_override"],
                               "text": row["override_reason"], "created_at": when})
        return events

    @staticmethod
    def _info_requests(rows: list[dict], ids: dict[str, int], now) -> None:
        """A demo submission that needs information waits on a request, as a real one does
        ("needs information" is only ever set with a request to the person)."""
        waiting = [row for row in rows if row["review_status"] == "needs_info"]
        if not waiting:
            return
        reason, _made = InfoRequestReason.objects.get_or_create(
            name="Demo: proof of Premium", defaults={
                "public_text": "A receipt or statement showing you paid for Premium.",
                "public_text_es": "Un recibo o estado de cuenta que muestre que pagó Premium."})
        _insert(InfoRequest, [{
            "submission_id": ids[row["reference"]], "requested_by_id": row["assignee_id"],
            "note": "", "answer": "", "reminded_at": None, "answered_at": None,
            "requested_at": min(row["created_at"] + datetime.timedelta(days=1), now),
            "reply_by": timezone.localdate(now) + datetime.timedelta(days=14),
        } for row in waiting])
        made = InfoRequest.objects.filter(
            submission_id__in=[ids[row["reference"]] for row in waiting]).values_list("id",
                                                                                     flat=True)
        _insert(InfoRequest.reasons.through, [
            {"inforequest_id": pk, "inforequestreason_id": reason.pk} for pk in made])

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
