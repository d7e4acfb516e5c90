"""The overview: counts, the weekly chart, the funnel, the exposure."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.views.decorators.http import require_GET

from caseapp.local_time import day_and_month
from caseapp.review_rules import exposure_estimate
from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.overview import (
    WeekCount,
    decisions_per_reviewer,
    funnel_totals,
    oldest_open,
    open_ageing,
    overview_counts,
    submissions_per_week,
)
from caseapp.views.staff.access import staff_view

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 720, 240, 16, 40, 48


def _week_chart(weeks: list[WeekCount]) -> dict:
    """Bar geometry for the server-drawn SVG chart (no script, no CDN)."""
    peak = max((week.count for week in weeks), default=0) or 1
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / max(len(weeks), 1)
    bars = []
    for i, week in enumerate(weeks):
        height = round(plot_height * week.count / peak, 1)
        x, width, last = CHART_LEFT + i * slot + slot * 0.15, slot * 0.7, i == len(weeks) - 1
        bars.append({
            "x": round(x, 1),
            "y": round(CHART_TOP + plot_height - height, 1),
            "width": round(width, 1),
            "height": height,
            # Every fourth week is labelled under the axis, the current week flush right.
            "show_label": (len(weeks) - 1 - i) % 4 == 0,
            "label_x": round(x + width if last else CHART_LEFT + i * slot + slot / 2, 1),
            "label_anchor": "end" if last else "middle",
            "label": day_and_month(week.start),  # the bar's title and the axis label
            "week": week,
        })
    return {
        "bars": bars, "peak": peak if any(w.count for w in weeks) else 0,
        "description": ngettext(
            "Bar chart of the last %(weeks)s week. The same figures are in the table below.",
            "Bar chart of the last %(weeks)s weeks. The same figures are in the table below.",
            len(weeks)) % {"weeks": len(weeks)},
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT,
        "top": CHART_TOP, "baseline": CHART_HEIGHT - CHART_BOTTOM,
        "label_y": CHART_HEIGHT - CHART_BOTTOM + 18,
    }


def _bars(values: list[int], *, labels: list[str] | None = None, width: int = CHART_WIDTH,
          height: int = 160) -> dict:
    """Vertical bar geometry for a small server-drawn chart (no script), like the weekly one;
    ``labels``, when given, one for under each bar."""
    peak = max(values, default=0) or 1
    plot = height - CHART_TOP - 24
    slot = (width - CHART_LEFT) / max(len(values), 1)
    bars = [{"x": round(CHART_LEFT + i * slot + slot * 0.15, 1),
             "y": round(CHART_TOP + plot - round(plot * n / peak, 1), 1),
             "width": round(slot * 0.7, 1), "height": round(plot * n / peak, 1),
             "label_x": round(CHART_LEFT + i * slot + slot / 2, 1), "value": n,
             "label": labels[i] if labels else ""}
            for i, n in enumerate(values)]
    return {"bars": bars, "peak": peak if any(values) else 0, "width": width,
            "height": height, "left": CHART_LEFT, "top": CHART_TOP,
            "baseline": CHART_TOP + plot, "label_y": CHART_TOP + plot + 16}


def _outcome_rows(counts: dict) -> list[tuple]:
    """(code, label, automatic count, count after review) for each outcome either side has."""
    effective = {value: n for value, _label, n in counts["by_effective_outcome"]}
    automatic = {value: (label, n) for value, label, n in counts["by_outcome"]}
    labels = {value: label for value, label, _n in counts["by_effective_outcome"]}
    labels.update({value: label for value, (label, _n) in automatic.items()})
    return [(value, label, automatic.get(value, ("", 0))[1], effective.get(value, 0))
            for value, label in labels.items()]


@staff_view("caseapp.view_submission")
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The figures are drawn in Jinja2 (templates/jinja2/caseapp/staff/overview_figures.html)
    inside the Django staff page: some 700 values in tables and three charts took Django's
    template language most of the page's time (docs/decisions.md, issue 18's 30 ms)."""
    counts = overview_counts()
    weeks = submissions_per_week(weeks=26)
    ageing = open_ageing()
    days, throughput = decisions_per_reviewer(days=30)
    daily_totals = [sum(row.per_day[i] for row in throughput) for i in range(len(days))]
    case = case_for_request(request)
    figures = {
        "case": case,
        "ageing": ageing,
        "ageing_chart": _bars([bucket.count for bucket in ageing], width=480, labels=[
            f"{b.first_day}+" if b.last_day is None else f"{b.first_day}–{b.last_day}"
            for b in ageing]),
        "oldest": oldest_open(limit=10),
        "throughput_days": days,
        "throughput": throughput,
        "throughput_chart": _bars(daily_totals),
        "throughput_by_day": [(day, [row.per_day[i] for row in throughput], daily_totals[i])
                              for i, day in enumerate(days)],
        "counts": counts,
        "outcome_rows": _outcome_rows(counts),
        "chart": _week_chart(weeks),
        "weeks": weeks,
        "funnel": funnel_totals(),
        "exposure": exposure_estimate(
            accepted=counts["owed"], open_needs_review=counts["open_needs_review"]),
        # The member's language, as the public pages do: staff write the note in both.
        "status_note": case.in_language("status_note", get_language()),
    }
    # The figures stay in the Django page's context too: tests read them as response.context.
    return render(request, "caseapp/staff/overview.html", {
        **figures, "nav": "overview",
        # Escaped by Jinja2's autoescape, which the environment always turns on.
        "figures": mark_safe(render_to_string(  # noqa: S308
            "caseapp/staff/overview_figures.html", figures, using="jinja2")),
    })
