"""The CSV export of a filtered queue."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.export import export_csv
from caseapp.selectors.queue import QUEUE_SORTS
from caseapp.services.audit import audit_record
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue import queue_queryset, sort_of
from caseapp.views.staff.queue_forms import queue_filter_form


@staff_view("caseapp.export_submission")
@require_GET
def export(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    case = case_for_request(request)
    form = queue_filter_form(request)
    if form.errors:
        # The queue shows the others when one filter is wrong; an export of more people than
        # were asked for is worse than none, so it stops and says which filter to fix.
        messages.error(request, _("Nothing was exported: correct the filters marked below, "
                                  "then export again."))
        return redirect(f"{reverse('staff:queue')}?{request.GET.urlencode()}")
    filters, qs = queue_queryset(request, form, case)
    sort_key, descending = sort_of(form)
    field = QUEUE_SORTS[sort_key]
    order = [f"-{f}" if descending else f for f in dict.fromkeys([field, "created_at", "id"])]

    def completed(rows: int) -> None:
        audit_record(actor=request.user, action="submission.export", request=request,
                     details={"rows": rows, "filters": _audit_filters(filters)})

    response = StreamingHttpResponse(
        export_csv(qs.order_by(*order), case=case, completed=completed),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="submissions-{stamp}.csv"'
    return response


def _audit_filters(filters: dict) -> dict:
    """The filters an export used, minus any searched text (it may be a person's email)."""
    kept = {}
    for key, value in filters.items():
        if key in ("q", "search", "per_page") or value in (None, ""):
            continue
        kept[key] = str(value)
    if filters.get("search") is not None:
        kept["search"] = filters["search"].kind
    return kept
