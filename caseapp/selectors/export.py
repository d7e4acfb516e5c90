"""The CSV export, whole: the query the database shapes and the encoding Python finishes."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator

from django.db import connection, models
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from caseapp import eligibility, review_rules
from caseapp.models import Case, InfoRequest, ReviewEvent, Submission
from caseapp.selectors.queue import time_limit_flagged_q


class UtcIsoSeconds(models.Func):
    """A timestamp as ISO 8601 text in UTC to the second (``2026-11-25T22:44:22Z``), made by
    the database: Django's own timestamp loader for PostgreSQL is pure Python, and cost the
    export more per row than decrypting a name."""

    output_field = models.CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="to_char", template=(
            "%(function)s(%(expressions)s AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"), **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores SQLite timestamps as UTC text. The format travels as a parameter: a
        # literal '%Y' in the SQL broke Django's query logging under DEBUG (a 500 on export).
        sql, params = self.as_sql(compiler, connection, function="strftime",
                                  template="%(function)s(%%s, %(expressions)s)", **extra)
        return sql, ("%Y-%m-%dT%H:%M:%SZ", *params)


def _token(field: str) -> models.Func:
    """An encrypted column as stored, for the caller to open: no per-value converter."""
    return models.functions.Cast(field, output_field=models.TextField())


#: What the database puts between joined values: U+001F (unit separator), which no typed
#: value can hold (validators refuse control characters), so Python can split them exactly.
SEPARATOR = "\x1f"


class CsvJoin(models.Func):
    """Values joined by the database, as one piece of a CSV line: a flat
    ``a || chr(31) || b`` (Django's ``Concat`` nests a level per value, too deep for SQLite's
    parser at 17). Only for non-null values from the app's own vocabularies (codes, versions,
    references, dates, numbers), which hold no comma, quote or line break and start no
    formula (tests/test_views_staff_export.py checks them); ``export_csv`` checks each row all the
    same, and disarms and quotes any value that is not plain."""

    template = "(%(expressions)s)"
    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra):
        function = "CHR" if connection.vendor == "postgresql" else "char"
        return super().as_sql(compiler, connection, arg_joiner=f" || {function}(31) || ",
                              **extra)


def _yes_no(condition: Q) -> models.Case:
    return models.Case(models.When(condition, then=Value("yes")), default=Value("no"),
                       output_field=models.TextField())


#: ``export_values`` rows: the CSV line's pieces, in column order. Names, emails and phones
#: come sealed and the assignee's username as typed, for the caller to open, guard and quote.
EXPORT_VALUES = ("reference", "received_utc", "full_name_token", "email_token", "phone_token",
                 "middle", "assignee_username", "tail", "override_reason_token",
                 "decided_by", "decided_utc", "decision_reason_token", "email_confirmed",
                 "info_requested_utc", "info_received_utc")


def _owed() -> Q:
    """What can be owed, as ``review_rules.counts_toward_exposure`` and the overview count it:
    accepted, eligible after review, not marked as a duplicate, not withdrawn or erased. Only
    these rows state damages,
    so the column's sum is the overview's exposure (a rejected or undecided row owes nothing
    yet; the column summed to $3.0 M against $543 k on the overview)."""
    eligible = eligibility.Outcome.ELIGIBLE.value
    return (Q(review_status=review_rules.ACCEPTED, duplicate_of__isnull=True,
              personal_data_erased_at__isnull=True)
            & (Q(outcome_override=eligible) | Q(outcome_override="", outcome=eligible)))


def _decision(field: str) -> Subquery:
    """``field`` of the status change that made the current decision (accept, reject, needs
    information), or nothing while the submission is undecided."""
    return Subquery(ReviewEvent.objects.filter(
        submission=OuterRef("pk"), kind=ReviewEvent.Kind.STATUS,
        to_value=OuterRef("review_status"), to_value__in=review_rules.DECISIONS,
    ).order_by("-created_at", "-id").values(field)[:1])


class FirmTime:
    """UTC ISO text (``2026-11-25T22:44:22Z``, from ``UtcIsoSeconds``) as the firm's local time
    with its offset (``2026-11-25T14:44:22-08:00``).

    Converted once per UTC hour and cached: within an hour of a zone with a whole-hour offset
    only the minutes and seconds change, so a row costs a dict lookup and a slice where a full
    ``fromisoformat``/``astimezone``/``isoformat`` per row cost about 3 µs against the export's
    20 µs a row budget. Zones with a part-hour offset (India, +05:30) convert each row."""

    def __init__(self, zone: datetime.tzinfo):
        self.zone = zone
        self.hours: dict[str, tuple[str, str] | None] = {}

    def _full(self, utc_text: str) -> str:
        moment = datetime.datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def __call__(self, utc_text: str) -> str:
        hour = utc_text[:13]
        if hour not in self.hours:
            local = datetime.datetime.fromisoformat(hour + ":00:00+00:00").astimezone(self.zone)
            offset = local.utcoffset() or datetime.timedelta()
            whole = offset.total_seconds() % 3600 == 0
            text = local.isoformat(timespec="seconds")
            self.hours[hour] = (text[:13], text[19:]) if whole else None
        cached = self.hours[hour]
        if cached is None:
            return self._full(utc_text)
        return f"{cached[0]}{utc_text[13:19]}{cached[1]}"


def export_values(qs: QuerySet, *, case: Case) -> QuerySet:
    """The export's rows, mostly written by the database: per row, Python only opens three
    sealed values and quotes four cells (issue 5 asks for 50,000 rows/s)."""
    text = models.TextField()
    answers = [models.functions.Coalesce(models.fields.json.KT(f"answers__{q.key}"),
                                         Value(""), output_field=text)
               for q in eligibility.QUESTIONS]
    latest_request = InfoRequest.objects.filter(submission=OuterRef("pk")).order_by(
        "-requested_at", "-id")
    return qs.annotate(
        received_utc=UtcIsoSeconds("created_at"),
        # The latest request for information: when it was sent, and answered (issue 19).
        info_requested_utc=UtcIsoSeconds(Subquery(latest_request.values("requested_at")[:1])),
        info_received_utc=UtcIsoSeconds(Subquery(latest_request.values("answered_at")[:1])),
        full_name_token=_token("full_name"), email_token=_token("email"),
        phone_token=_token("phone"), override_reason_token=_token("override_reason"),
        middle=CsvJoin(
            "state", "language", "outcome", "outcome_override",
            models.functions.Coalesce(models.functions.NullIf("outcome_override", Value("")),
                                      "outcome", output_field=text),
            "review_status"),
        assignee_username=models.functions.Coalesce("assignee__username", Value(""),
                                                    output_field=text),
        tail=CsvJoin(
            _yes_no(Q(possible_duplicate=True)),
            models.functions.Coalesce("duplicate_of__reference", Value(""), output_field=text),
            # The queue's "SCA time limit: flagged" filter, the same rule as the reviewer's
            # summary (``review_rules.time_limit_flagged``): from the discovery answer.
            _yes_no(time_limit_flagged_q(case=case)),
            models.Case(models.When(_owed(), then=models.functions.Cast(
                "estimated_damages", output_field=text)), default=Value(""), output_field=text),
            "rules_version", "consent_version", "attestation_version", "notice_version",
            *answers),
        decided_by=_decision("actor__username"),
        decided_utc=UtcIsoSeconds(_decision("created_at")),
        decision_reason_token=models.functions.Cast(_decision("text"), output_field=text),
        email_confirmed=_yes_no(Q(email_confirmed_at__isnull=False)),
    ).values_list(*EXPORT_VALUES)


def stream_values(qs: QuerySet, *, chunk_size: int = 5000) -> Iterator[tuple]:
    """The rows of a ``values_list`` query whose values need no converting, read as they come.

    On PostgreSQL the query is streamed (psycopg's ``stream``, in chunks): the server keeps
    producing rows while Python formats the ones before, where ``iterator()``'s server-side
    cursor waits for each ``FETCH``. Elsewhere it is ``iterator()``. The connection serves
    nothing else until the rows are read or the generator is closed.
    """
    if connection.vendor != "postgresql":
        yield from qs.iterator(chunk_size=chunk_size)
        return
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        yield from cursor.cursor.stream(sql, params, size=chunk_size)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will show, not run (OWASP CSV injection): a leading ' disarms it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


#: ``sca_time_limit_flag``: "yes" when the registration came in after the two years of
#: 18 U.S.C. § 2707(f) ran out, counted from when the person says they found out (the start of
#: the period their discovery answer names: ``review_rules.DISCOVERY_PERIOD_START``), or from
#: the case's SCA reference date when they did not answer or "don't remember". A flag for a
#: lawyer to look at the date, never a verdict; the same rule as the reviewer's summary and
#: the queue's "SCA time limit" filter.
EXPORT_COLUMNS = [
    "reference", "received_at", "full_name", "email", "phone", "state", "language",
    "outcome", "outcome_override", "effective_outcome", "review_status", "assignee",
    "possible_duplicate", "duplicate_of", "sca_time_limit_flag", "estimated_damages",
    "rules_version", "consent_version", "attestation_version", "notice_version",
]
#: Typed by staff, so disarmed and quoted like the names; after the answers, so the columns
#: before keep their places for anyone who reads them by position.
#: Then who made the current decision, when and why (the reason sealed in the database, opened
#: for the file), and whether the person confirmed their address.
EXPORT_TRAILING_COLUMNS = ["override_reason", "decided_by", "decided_at", "decision_reason",
                           "email_confirmed", "info_requested_at", "info_received_at"]


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_cell(value: str) -> str:
    """One CSV cell as Python's csv module writes it (minimal quoting)."""
    return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES.search(value) else value


#: A value the database joined that is not plain vocabulary: one that starts a formula, or
#: holds a comma, quote or line break.
_NOT_PLAIN = re.compile(r'(?:^|\x1f)[=+\-@\t\r]|[",\r\n]')


def _joined_cells(text: str) -> str:
    """The database's joined values as CSV cells: as they are when plain (the fast path),
    else each disarmed and quoted on its own. A value written past the app (a shell, SQL)
    is thus never a formula, nor spills into the next cell."""
    if _NOT_PLAIN.search(text) is None:
        return text.replace(SEPARATOR, ",")
    return ",".join(csv_cell(spreadsheet_safe(value)) for value in text.split(SEPARATOR))


def export_csv(qs: QuerySet, *, case: Case,
               completed: Callable[[int], None]) -> Iterator[str]:
    """The CSV of ``qs`` (in its order), a thousand rows at a time, for a streaming response.

    The database writes the vocabulary columns; here the sealed values are opened, and each
    typed value is disarmed for spreadsheets and quoted. ``completed`` is called with the
    number of rows once the last one is written, so the export is recorded with its size
    without a separate COUNT, and not at all if the download is cut off."""
    keys = [q.key for q in eligibility.QUESTIONS]
    # A byte-order mark first: without it Excel reads the UTF-8 file as Windows-1252
    # ("MarÃ­a" for "María").
    lines = ["\ufeff" + ",".join(EXPORT_COLUMNS + keys + EXPORT_TRAILING_COLUMNS) + "\r\n"]
    firm_time = FirmTime(timezone.get_default_timezone())
    name, email, phone, reason_of = (Submission._meta.get_field(f).open
                                     for f in ("full_name", "email", "phone", "override_reason"))
    safe, cell = spreadsheet_safe, csv_cell
    written = 0
    joined = _joined_cells
    decision_text = ReviewEvent._meta.get_field("text").open
    for reference, received, name_token, email_token, phone_token, middle, assignee, tail, \
            reason_token, decided_by, decided_utc, decision_token, confirmed, \
            info_requested, info_received \
            in stream_values(export_values(qs, case=case)):
        override_reason = reason_of(reason_token)
        # Accepting as eligible keeps its reason with the outcome change, not the status's.
        decision_reason = (decision_text(decision_token) or override_reason) if decided_utc \
            else ""
        # People and staff type names, emails, phones, usernames and reasons: each is disarmed
        # and quoted. The rest comes from the app's own vocabularies, joined by the database,
        # and is checked on the way (``_joined_cells``); the time is the database's own format.
        lines.append(f"{cell(safe(reference))},{firm_time(received)},"
                     f"{cell(safe(name(name_token)))},{cell(safe(email(email_token)))},"
                     f"{cell(safe(phone(phone_token)))},{joined(middle)},{cell(safe(assignee))},"
                     f"{joined(tail)},{cell(safe(override_reason))},"
                     f"{cell(safe(decided_by or ''))},"
                     f"{firm_time(decided_utc) if decided_utc else ''},"
                     f"{cell(safe(decision_reason))},{confirmed},"
                     f"{firm_time(info_requested) if info_requested else ''},"
                     f"{firm_time(info_received) if info_received else ''}\r\n")
        if len(lines) == 1000:  # one write to the socket per thousand rows
            written += len(lines)
            yield "".join(lines)
            lines.clear()
    written += len(lines)
    yield "".join(lines)
    completed(written - 1)  # less the header line
