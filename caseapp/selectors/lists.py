"""Long lists read fast: keyset pages, bounded counts, date ranges that keep an index usable."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

#: How far the queue counts before it says "1,000+": an exact COUNT(*) of a million rows on
#: every page view is what makes big queues slow.
COUNT_LIMIT = 1000


def created_between(qs: QuerySet, first: datetime.date | None,
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


def keyset_neighbour(qs: QuerySet, *, sort_field: str, descending: bool, row,
                     backwards: bool = False):
    """The row just after (or before) ``row`` in (sort_field, created_at, id) order, or None:
    one index seek, whether or not ``row`` itself still matches ``qs`` (a decision can take
    it out of the filter)."""
    fields = list(dict.fromkeys([sort_field, "created_at", "id"]))
    scan_descending = descending != backwards
    order = [f"-{f}" if scan_descending else f for f in fields]
    values = [getattr(row, f) for f in fields]
    return qs.order_by(*order).filter(_beyond(fields, values, scan_descending)).first()


def keyset_order(*, sort_field: str, descending: bool) -> list[str]:
    """The ``order_by`` arguments of a keyset list sorted on ``sort_field``."""
    fields = list(dict.fromkeys([sort_field, "created_at", "id"]))
    return [f"-{f}" if descending else f for f in fields]


def keyset_first(qs: QuerySet, *, sort_field: str, descending: bool):
    """The first row of a keyset list sorted on ``sort_field``, or None."""
    return qs.order_by(*keyset_order(sort_field=sort_field, descending=descending)).first()
