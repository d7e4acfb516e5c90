"""The audit log."""

from __future__ import annotations

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from caseapp.selectors.audit import AUDIT_ACTIONS, audit_events
from caseapp.selectors.lists import keyset_page
from caseapp.selectors.staff_accounts import staff_members
from caseapp.services.privacy import ERASURE_REASONS
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.form_fields import ANY, BoundedDateField


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.TypedChoiceField(label=_("Staff member"), required=False, coerce=int,
                                   empty_value=None)
    date_from = BoundedDateField(label=_("From"), required=False)
    date_to = BoundedDateField(label=_("To"), required=False)

    def __init__(self, *args, staff: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = ANY + list(AUDIT_ACTIONS.items())
        self.fields["actor"].choices = [("", _("Anyone"))] + staff
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "audit-filters"
        self.helper.layout = Layout(
            Row(
                Column("action", css_class="col-12 col-md-3"),
                Column("actor", css_class="col-12 col-md-3"),
                Column("date_from", css_class="col-6 col-md-2"),
                Column("date_to", css_class="col-6 col-md-2"),
                Column(Submit("filter", _("Filter"), css_class="btn-primary mt-md-4"),
                       css_class="col-12 col-md-2"),
            ),
        )

    def filters(self) -> dict:
        return dict(self.cleaned_data) if self.is_bound else {}


@staff_view("caseapp.view_auditevent")
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET, staff=staff_members())
    form.is_valid()
    page = keyset_page(
        audit_events(filters=form.filters()), sort_field="created_at",
        descending=True, per_page=50,
        after=request.GET.get("after", "")[:500], before=request.GET.get("before", "")[:500],
    )
    for event in page.rows:
        event.action_label = AUDIT_ACTIONS.get(event.action, event.action)
        event.details_text = json.dumps(event.details, sort_keys=True, ensure_ascii=False)
        event.reason_label = (ERASURE_REASONS[event.details["reason"]]
                              if event.action == "submission.erase"
                              and event.details.get("reason") in ERASURE_REASONS else "")
    return render(request, "caseapp/staff/audit.html", {
        "form": form, "page": page, "actions": AUDIT_ACTIONS, "nav": "audit",
    })
