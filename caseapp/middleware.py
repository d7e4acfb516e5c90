"""Keeps the public pages closed until the case record says who is speaking."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from caseapp.selectors.case_record import case_for_request


class FirmIdentityMiddleware:
    """With ``CASEAPP_FIRM_IDENTITY_REQUIRED`` (production), every public page is a 503 "not
    open yet" page until staff fill in the firm's identity on the case record: a firm's case
    page is attorney advertising and must name the firm, a responsible attorney and an address
    (CASE_FACTS "Who is speaking"). Staff pages stay open, so staff can fill it in."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.CASEAPP_FIRM_IDENTITY_REQUIRED:
            return None
        match = request.resolver_match
        if match is None or match.namespace != "public":
            return None
        if case_for_request(request).firm_identity_complete:
            return None
        response = render(request, "caseapp/public/not_open.html", status=503, using="jinja2")
        response["Retry-After"] = "3600"
        return response
