"""Every read caseapp makes for its pages: functions named <entity>_<what>."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.db.models import Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseapp import crypto, eligibility
from caseapp.models import AuditEvent, Case, DailyCount, ReviewEvent, Submission, SubmissionTally

CASE_SLUG = "de-la-torre-v-linkedin"


def case_current() -> Case:
    """The one case this deployment takes intake for (shipped by a data migration)."""
    return Case.objects.get(slug=CASE_SLUG)


#: How long a public page may show a case record read by an earlier request in the same
#: process. A question page otherwise spends a third of its time reading the case (issue 5);
#: a staff edit reaches the public pages within this many seconds. Registering reads the
#: record afresh (``views.public.register``), so closing registration takes effect at once.
PUBLIC_CASE_MAX_AGE = 5.0
_public_case: tuple[float, Case] | None = None


def forget_public_case() -> None:
    """Drop this process's cached public case record (apps.py does when the case is saved)."""
    global _public_case
    _public_case = None


def case_for_request(request, *, fresh: bool = False) -> Case:
    """The case, read once per request however many templates and views ask for it; public
    pages may reuse a record up to ``PUBLIC_CASE_MAX_AGE`` seconds old, unless ``fresh``."""
    global _public_case
    case = getattr(request, "_caseapp_case", None)
    if case is not None and not fresh:
        return case
    match = getattr(request, "resolver_match", None)
    public = match is not None and match.namespace == "public" and not fresh
    now = time.monotonic()
    if public and _public_case is not None and now - _public_case[0] < PUBLIC_CASE_MAX_AGE:
        case = _public_case[1]
    else:
        case = case_current()
        if public:
            _public_case = (now, case)
    request._caseapp_case = case
    return case


#: What ``secrets.token_urlsafe(32)`` makes; anything else cannot be a key we issued (and a NUL
#: byte in it would be an error on PostgreSQL rather than "not found").
IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def submission_by_idempotency_key(*, key: str) -> Submission | None:
    if not IDEMPOTENCY_KEY_RE.fullmatch(key):
        return None
    return Submission.objects.filter(idempotency_key=key).first()


# --- staff: the queue, one submission, the overview, the audit log ----------------------------

#: How far the queue counts before it says "1,000+": an exact COUNT(*) of a million rows on
#: every page view is what makes big queues slow.
COUNT_LIMIT = 1000

#: Sortable queue columns and the model field each sorts by. Names are encrypted, so the
#: database cannot sort by them.
QUEUE_SORTS = {
    "received": "created_at",
    "reference": "reference",
    "state": "state",
    "outcome": "outcome",
    "review_status": "review_status",
}
QUEUE_DEFAULT_SORT = "-received"

_REFERENCE_RE = re.compile(r"^LI([23456789ABCDEFGHJKMNPQRSTWXYZ]{8})$")


@dataclass(frozen=True)
class Search:
    kind: str  # "reference", "email" or "name": what the audit log may record
    condition: Q


def submission_search(*, text: str) -> Search | None:
    """Match a full reference, an email or an exact full name; names and emails only through
    their blind indexes, because the database holds them encrypted."""
    text = text.strip()
    if not text:
        return None
    compact = re.sub(r"[\s\-]", "", text).upper()
    match = _REFERENCE_RE.match(compact)
    if match:
        chars = match.group(1)
        return Search("reference", Q(reference=f"LI-{chars[:4]}-{chars[4:]}"))
    if "@" in text:
        return Search("email", Q(email_index=crypto.blind_index(crypto.normalise_email(text))))
    return Search("name", Q(name_index=crypto.blind_index(crypto.normalise_name(text))))


def sca_flag_from(*, case: Case) -> datetime.datetime:
    """The first moment after the 18 U.S.C. § 2707(f) two-year window from the case's
    reference date; submissions received from then on are flagged for a time-limit review."""
    ref = case.sca_reference_date
    try:
        last_day = ref.replace(year=ref.year + 2)
    except ValueError:  # 29 February
        last_day = ref.replace(year=ref.year + 2, day=28)
    first_flagged = last_day + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(first_flagged, datetime.time.min))


def _created_between(qs: QuerySet, first: datetime.date | None,
                     last: datetime.date | None) -> QuerySet:
    """Rows created from the start of ``first`` to the end of ``last`` (local days), either
    end optional; a range on the column keeps its index usable."""
    if first:
        start = datetime.datetime.combine(first, datetime.time.min)
        qs = qs.filter(created_at__gte=timezone.make_aware(start))
    if last:
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min)
        qs = qs.filter(created_at__lt=timezone.make_aware(end))
    return qs


def submission_queue(*, filters: Mapping[str, object], user, case: Case) -> QuerySet:
    """Submissions matching the queue filters (already cleaned by the filter form)."""
    qs = Submission.objects.all()
    if filters.get("search") is not None:
        qs = qs.filter(filters["search"].condition)
    if filters.get("outcome"):
        qs = qs.filter(outcome=filters["outcome"])
    if filters.get("review_status"):
        qs = qs.filter(review_status=filters["review_status"])
    assignee = filters.get("assignee")
    if assignee == "me":
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("country"):
        qs = qs.filter(answers__country=filters["country"])
    qs = _created_between(qs, filters.get("received_from"), filters.get("received_to"))
    if filters.get("duplicate") == "yes":
        # Compared with a value, not as a bare boolean column: SQLite cannot seek an index
        # for ``WHERE possible_duplicate``, only for ``possible_duplicate = 1``.
        qs = qs.filter(possible_duplicate=Value(True))
    elif filters.get("duplicate") == "no":
        qs = qs.filter(possible_duplicate=Value(False))
    if filters.get("rules_version"):
        qs = qs.filter(rules_version=filters["rules_version"])
    if filters.get("time_limit") == "flagged":
        qs = qs.filter(created_at__gte=sca_flag_from(case=case))
    return qs


def submission_queue_rows(qs: QuerySet) -> QuerySet:
    """Only what the queue table shows: no email or phone is decrypted for a list."""
    return qs.select_related("assignee").only(
        "id", "reference", "created_at", "full_name", "state", "outcome", "outcome_override",
        "review_status", "assignee__username", "possible_duplicate", "duplicate_of_id",
        "personal_data_erased_at",
    )


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
        # Django stores SQLite timestamps as UTC text.
        return self.as_sql(compiler, connection, function="strftime",
                           template="%(function)s('%%Y-%%m-%%dT%%H:%%M:%%SZ', %(expressions)s)",
                           **extra)


def _token(field: str) -> models.Func:
    """An encrypted column as stored, for the caller to open: no per-value converter."""
    return models.functions.Cast(field, output_field=models.TextField())


class CsvJoin(models.Func):
    """Values joined with commas by the database, as one piece of a CSV line: a flat
    ``a || ',' || b`` (Django's ``Concat`` nests a level per value, too deep for SQLite's
    parser at 17). Only for non-null values from the app's own vocabularies (codes, versions,
    references, dates, numbers), which never hold a comma, quote or line break
    (tests/test_selectors.py checks them), so they need no quoting."""

    arg_joiner = " || ',' || "
    template = "(%(expressions)s)"
    output_field = models.TextField()


def _yes_no(condition: Q) -> models.Case:
    return models.Case(models.When(condition, then=Value("yes")), default=Value("no"),
                       output_field=models.TextField())


#: ``export_values`` rows: the CSV line's pieces, in column order. Names, emails and phones
#: come sealed and the assignee's username as typed, for the caller to open, guard and quote.
EXPORT_VALUES = ("head", "full_name_token", "email_token", "phone_token", "middle",
                 "assignee_username", "tail")


def export_values(qs: QuerySet, *, sca_from: datetime.datetime) -> QuerySet:
    """The export's rows, mostly written by the database: per row, Python only opens three
    sealed values and quotes four cells (issue 5 asks for 50,000 rows/s)."""
    text = models.TextField()
    answers = [models.functions.Coalesce(models.fields.json.KT(f"answers__{q.key}"),
                                         Value(""), output_field=text)
               for q in eligibility.QUESTIONS]
    return qs.annotate(
        head=CsvJoin("reference", UtcIsoSeconds("created_at")),
        full_name_token=_token("full_name"), email_token=_token("email"),
        phone_token=_token("phone"),
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
            _yes_no(Q(created_at__gte=sca_from)),
            models.functions.Cast("estimated_damages", output_field=text),
            "rules_version", "consent_version", "attestation_version", "notice_version",
            *answers),
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


def count_bounded(qs: QuerySet, *, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """``(count, more)``: counts at most ``limit`` rows, and says whether there are more."""
    count = qs.order_by().values("id")[: limit + 1].count()
    return min(count, limit), count > limit


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def _encode_cursor(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, fields: list[str], model) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        decoded = []
        for field, value in zip(fields, values, strict=True):
            model_field = model._meta.get_field(field)
            if isinstance(model_field, models.DateTimeField):
                value = datetime.datetime.fromisoformat(value)
                if timezone.is_naive(value):
                    return None
            else:
                value = model_field.to_python(value)
            decoded.append(value)
        return decoded
    except (ValueError, TypeError, DjangoValidationError, binascii.Error):
        return None


def _beyond(fields: list[str], values: list, descending: bool) -> Q:
    """Rows strictly after ``values`` in (fields...) order, as an index-friendly condition:
    a range on the first column the index can seek to, then the tie-breaks."""
    op = "lt" if descending else "gt"
    leading = Q(**{f"{fields[0]}__{'lte' if descending else 'gte'}": values[0]})
    alternatives = Q(pk__in=[])
    for i, field in enumerate(fields):
        equal = {f: v for f, v in zip(fields[:i], values[:i], strict=True)}
        alternatives |= Q(**equal, **{f"{field}__{op}": values[i]})
    return leading & alternatives


def keyset_page(
    qs: QuerySet, *, sort_field: str, descending: bool, per_page: int,
    after: str = "", before: str = "",
) -> KeysetPage:
    """One page in (sort_field, created_at, id) order, found by seeking, never by OFFSET."""
    fields = list(dict.fromkeys([sort_field, "created_at", "id"]))
    model = qs.model
    backwards = False
    cursor_values = None
    if before:
        cursor_values = _decode_cursor(before, fields, model)
        backwards = cursor_values is not None
    if not backwards and after:
        cursor_values = _decode_cursor(after, fields, model)
    scan_descending = descending != backwards
    order = [f"-{f}" if scan_descending else f for f in fields]
    page_qs = qs.order_by(*order)
    if cursor_values is not None:
        page_qs = page_qs.filter(_beyond(fields, cursor_values, scan_descending))
    rows = list(page_qs[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()

    def cursor_of(row) -> str:
        return _encode_cursor([getattr(row, f) for f in fields])

    has_next = (more if not backwards else True) and bool(rows)
    has_previous = (cursor_values is not None if not backwards else more) and bool(rows)
    return KeysetPage(
        rows=rows,
        next_cursor=cursor_of(rows[-1]) if has_next else None,
        previous_cursor=cursor_of(rows[0]) if has_previous else None,
    )


def submission_for_staff(*, reference: str) -> Submission:
    """One submission with what its page shows; ``Submission.DoesNotExist`` if none."""
    if "\x00" in reference:
        raise Submission.DoesNotExist
    return Submission.objects.select_related("assignee", "duplicate_of").get(reference=reference)


def submission_timeline(*, submission: Submission) -> list[ReviewEvent]:
    return list(submission.events.select_related("actor").order_by("created_at", "id"))


def submission_possible_duplicates(*, submission: Submission, limit: int = 20) -> list[dict]:
    """Other submissions with the same email (normalised) or the same name and state."""
    # One indexed lookup per reason, joined by UNION: as one OR, the planner walked the whole
    # received-order index looking for the few matches (370 ms at 100,000 rows on SQLite).
    lookups = [Q(duplicate_of=submission)]
    if submission.email_index:
        lookups.append(Q(email_index=submission.email_index))
    if submission.name_state_index:
        lookups.append(Q(name_state_index=submission.name_state_index))
    ids = [Submission.objects.order_by().filter(lookup).values_list("id", flat=True)
           for lookup in lookups]
    matching = set(ids[0].union(*ids[1:]))
    others = (Submission.objects.filter(pk__in=matching - {submission.pk}).only(
                  "id", "reference", "created_at", "full_name", "state", "email_index",
                  "name_state_index", "duplicate_of_id", "review_status")
              .order_by("created_at", "id")[:limit])
    result = []
    for other in others:
        reasons = []
        if submission.email_index and other.email_index == submission.email_index:
            reasons.append("email")
        if submission.name_state_index and other.name_state_index == submission.name_state_index:
            reasons.append("name_state")
        if other.duplicate_of_id == submission.pk:
            reasons.append("marked")
        result.append({"submission": other, "reasons": reasons})
    return result


def _auth_tables() -> dict[str, str]:
    """The auth tables' names, from the models, for the two queries below written in SQL."""
    User = get_user_model()
    return {
        "user": User._meta.db_table,
        "user_groups": User.groups.through._meta.db_table,
        "user_perms": User.user_permissions.through._meta.db_table,
        "group_perms": Permission.group_set.through._meta.db_table,
        "perm": Permission._meta.db_table,
        "content_type": Permission._meta.get_field("content_type").related_model._meta.db_table,
    }


def permission_names(*, user_id: int) -> set[str]:
    """``{"app_label.codename"}`` the user holds directly or through groups: what Django's
    ``ModelBackend`` finds with two ORM queries on every staff page, in one
    (``caseapp.auth.PermissionBackend``)."""
    sql = """
        SELECT ct.app_label, p.codename FROM {perm} p
        JOIN {content_type} ct ON ct.id = p.content_type_id
        WHERE p.id IN (
            SELECT up.permission_id FROM {user_perms} up WHERE up.user_id = %s
            UNION
            SELECT gp.permission_id FROM {group_perms} gp
            JOIN {user_groups} ug ON ug.group_id = gp.group_id
            WHERE ug.user_id = %s)""".format(**_auth_tables())  # noqa: S608 (model tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, user_id])
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


def staff_reviewers() -> list:
    """Active users who may review submissions (the people work can be assigned to), by
    username, with only ``id`` and ``username`` loaded.

    Written in SQL: every queue page lists them, and the ORM spent 3 ms building the query
    (subqueries through groups, permissions and content types) for a 1 ms database answer."""
    User = get_user_model()
    tables = _auth_tables()
    sql = """
        SELECT u.id, u.username FROM {user} u
        WHERE u.is_active AND (u.is_superuser OR u.id IN (
            SELECT ug.user_id FROM {user_groups} ug
            JOIN {group_perms} gp ON gp.group_id = ug.group_id
            JOIN {perm} p ON p.id = gp.permission_id
            JOIN {content_type} ct ON ct.id = p.content_type_id
            WHERE p.codename = %s AND ct.app_label = %s
            UNION
            SELECT up.user_id FROM {user_perms} up
            JOIN {perm} p ON p.id = up.permission_id
            JOIN {content_type} ct ON ct.id = p.content_type_id
            WHERE p.codename = %s AND ct.app_label = %s))
        ORDER BY u.username""".format(**tables)  # noqa: S608 (table names from the models)
    return list(User.objects.raw(sql, ["review_submission", "caseapp"] * 2))


def overview_counts() -> dict:
    """Counts by automatic outcome, by review status, and what the exposure estimate needs,
    from the running tally (a few dozen rows at any size) that triggers keep."""
    by_outcome: Counter = Counter()
    by_status: Counter = Counter()
    open_needs_review = 0
    open_statuses = {Submission.ReviewStatus.NEW, Submission.ReviewStatus.IN_REVIEW,
                     Submission.ReviewStatus.NEEDS_INFO}
    groups = SubmissionTally.objects.filter(total__gt=0).values_list(
        "outcome", "outcome_override", "review_status", "total")
    for outcome, override, status, n in groups:
        by_outcome[outcome] += n
        by_status[status] += n
        if status in open_statuses and (override or outcome) == \
                eligibility.Outcome.NEEDS_REVIEW.value:
            open_needs_review += n
    return {
        "by_outcome": [(value, label, by_outcome.get(value, 0))
                       for value, label in Submission._meta.get_field("outcome").choices
                       if value != eligibility.Outcome.INCOMPLETE.value
                       or by_outcome.get(value)],
        "by_status": [(value, label, by_status.get(value, 0))
                      for value, label in Submission.ReviewStatus.choices],
        "total": sum(by_outcome.values()),
        "accepted": by_status.get(Submission.ReviewStatus.ACCEPTED, 0),
        "open_needs_review": open_needs_review,
    }


def exposure_estimate(*, accepted: int, open_needs_review: int) -> dict:
    """18 U.S.C. § 2707(c)'s minimum per person, for accepted members and if every open
    needs-review submission were accepted too. An estimate, never a promise."""
    per_person = eligibility.SCA_STATUTORY_MINIMUM
    return {
        "per_person": per_person,
        "low": accepted * per_person,
        "high": (accepted + open_needs_review) * per_person,
    }


@dataclass(frozen=True)
class WeekCount:
    start: datetime.date
    count: int


def submissions_per_week(*, weeks: int = 26, today: datetime.date | None = None
                         ) -> list[WeekCount]:
    """Registrations in each of the last ``weeks`` weeks (Monday to Sunday), from the daily
    counters that each registration adds to in its own transaction: a few hundred rows at any
    size, where counting the submissions themselves read half a million index entries."""
    if not weeks:
        return []
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday() + 7 * (weeks - 1))
    per_week: Counter = Counter()
    for day, n in DailyCount.objects.filter(
            metric=DailyCount.Metric.REGISTERED, day__gte=first, day__lte=today,
    ).values_list("day", "count"):
        per_week[(day - first).days // 7] += n
    return [WeekCount(first + datetime.timedelta(weeks=i), per_week[i]) for i in range(weeks)]


def funnel_totals() -> list[tuple[str, str, int]]:
    """The public funnel from the anonymous daily counters, all days summed."""
    totals = dict(DailyCount.objects.order_by().values_list("metric")
                  .annotate(n=Sum("count")).values_list("metric", "n"))
    return [(value, label, totals.get(value, 0)) for value, label in DailyCount.Metric.choices]


AUDIT_ACTIONS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Failed sign-in"),
    "submission.view": _("Viewed a submission"),
    "submission.search": _("Searched submissions"),
    "submission.export": _("Exported submissions"),
    "submission.review": _("Changed a review"),
    "submission.assign": _("Assigned a submission"),
    "submission.note": _("Added a note"),
    "submission.duplicate": _("Marked a duplicate"),
    "submission.bulk_update": _("Bulk action"),
    "case.update": _("Changed the case record"),
    "submission.erase": _("Deleted a person's data"),
    "retention.purge": _("Retention purge"),
    "field_keys.rotate": _("Rotated the encryption keys"),
    "auth.otp_verified": _("Entered a sign-in code"),
    "auth.otp_failed": _("Wrong sign-in code"),
    "auth.otp_enrolled": _("Set up two-factor sign-in"),
}


def audit_events(*, filters: Mapping[str, object]) -> QuerySet:
    qs = AuditEvent.objects.select_related("actor")
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor=filters["actor"])
    qs = _created_between(qs, filters.get("date_from"), filters.get("date_to"))
    return qs


# --- staff: two-factor sign-in ---------------------------------------------------------------

def staff_totp_device(*, user, confirmed: bool):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def staff_second_factor_state(*, user, required_for_supervisors: bool) -> str:
    """``enrolled`` (has a device), ``required`` (must enrol one) or ``optional``."""
    if staff_totp_device(user=user, confirmed=True) is not None:
        return "enrolled"
    if required_for_supervisors and (
        user.is_superuser or user.groups.filter(name="Supervisor").exists()
    ):
        return "required"
    return "optional"
