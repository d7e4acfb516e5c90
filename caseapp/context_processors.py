from django.utils.functional import SimpleLazyObject

from caseapp import selectors


def site(request):
    """The case record (fetched only by templates that show it) and the CSP nonce.

    ``{% htmx_script %}`` reads ``csp_nonce``; django-csp's own processor names it ``CSP_NONCE``.
    """
    return {
        "case": SimpleLazyObject(selectors.case_current),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
