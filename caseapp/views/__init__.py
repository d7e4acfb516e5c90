"""The two wings: ``views.public`` (the self-check) and ``views.staff`` (the workspace)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (the type its documentation gives)."""

    htmx: HtmxDetails


def htmx_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request that wants part of a page: a history restore needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request
