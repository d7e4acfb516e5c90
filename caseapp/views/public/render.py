"""How a public page is rendered: whole, or its main area for htmx."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import push_url

from caseapp.views import HtmxHttpRequest, htmx_fragment


def render_page(request: HtmxHttpRequest, template: str, context: dict,
                status: int = 200) -> HttpResponse:
    """Render a full page, or just the main area for an htmx request (never for a history
    restore, which needs the whole page)."""
    fragment = htmx_fragment(request)
    context = {
        "base_template": "caseapp/public/_fragment.html" if fragment else
        "caseapp/public/base.html",
        **context,
    }
    response = render(request, template, context, status=status, using="jinja2")
    patch_vary_headers(response, ("HX-Request",))
    if fragment:
        # The browser followed a redirect inside the XHR; tell htmx which URL it ended on.
        response = push_url(response, request.get_full_path())
    return response
