from django.utils.functional import SimpleLazyObject

from caseapp import selectors


def site(request):
    """The case record (fetched only by templates that show it) and the CSP nonce.

    ``{% htmx_script %}`` reads ``csp_nonce``; django-csp's own processor names it ``CSP_NONCE``.
    """
    case = SimpleLazyObject(lambda: selectors.case_for_request(request))
    language = getattr(request, "LANGUAGE_CODE", "en")
    return {
        "case": case,
        "case_status_note": SimpleLazyObject(lambda: case.in_language("status_note", language)),
        "case_closed_message": SimpleLazyObject(
            lambda: case.in_language("registration_closed_message", language)
        ),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
