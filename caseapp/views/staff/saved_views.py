"""Saving and deleting a reviewer's named queue views (listed on the queue page)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from caseapp.services.saved_views import saved_view_delete, saved_view_save
from caseapp.validators import reject_control_characters
from caseapp.views.staff.access import staff_view
from caseapp.views.staff.queue_forms import queue_params, queue_url_for


class SavedViewForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of this view"), max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_name(self):
        name = self.cleaned_data["name"]
        reject_control_characters(name)
        return name

    def clean_query(self):
        """Only the queue's own keys, and never the search box: a saved view is a filter set,
        and a searched name would be kept in clear in the database."""
        return queue_params(QueryDict(self.cleaned_data["query"]), search=False).urlencode()


@staff_view("caseapp.view_submission")
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    query = ""
    if form.is_valid():
        query = form.cleaned_data["query"]
        try:
            view = saved_view_save(owner=request.user, name=form.cleaned_data["name"],
                                   query=query)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(queue_url_for(QueryDict(query)))


@staff_view("caseapp.view_submission")
@require_POST
def delete(request: HttpRequest, view_id: int) -> HttpResponse:
    if saved_view_delete(owner=request.user, view_id=view_id):
        messages.success(request, _("View deleted."))
    return redirect(queue_url_for(QueryDict(request.POST.get("query", ""))))
