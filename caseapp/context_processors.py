"""What every staff page (Django's templates) is given: the case record and the CSP nonce."""

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.queue import queue_home_query


def _firm_time_zone() -> str:
    """The firm's time zone as staff pages name it: "America/Los_Angeles (PST, UTC-08:00)"."""
    now = timezone.localtime()
    offset = now.strftime("%z")
    return f"{timezone.get_current_timezone_name()} ({now.tzname()}, UTC{offset[:3]}:{offset[3:]})"


def _queue_home(request) -> str:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return reverse("staff:queue")
    query = queue_home_query(session=request.session, user=request.user)
    return reverse("staff:queue") + (f"?{query}" if query else "")


def site(request):
    """For the staff pages (Django's templates): the case record, fetched only by templates
    that show it, and the CSP nonce. The public pages have ``jinja.public_context``.

    ``{% htmx_script %}`` reads ``csp_nonce``; django-csp's own processor names it ``CSP_NONCE``.
    """
    return {
        "case": SimpleLazyObject(lambda: case_for_request(request)),
        "csp_nonce": getattr(request, "csp_nonce", ""),
        # The staff navigation's Submissions link: the reviewer's last or default queue.
        "queue_home": SimpleLazyObject(lambda: _queue_home(request)),
        "firm_time_zone": SimpleLazyObject(_firm_time_zone),
    }
