"""What every staff page (Django's templates) is given: the case record and the CSP nonce."""

from django.utils.functional import SimpleLazyObject

from caseapp.selectors.case_record import case_for_request


def site(request):
    """For the staff pages (Django's templates): the case record, fetched only by templates
    that show it, and the CSP nonce. The public pages have ``jinja.public_context``.

    ``{% htmx_script %}`` reads ``csp_nonce``; django-csp's own processor names it ``CSP_NONCE``.
    """
    return {
        "case": SimpleLazyObject(lambda: case_for_request(request)),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
