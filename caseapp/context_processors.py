from django.utils.functional import SimpleLazyObject

from caseapp import selectors


def site(request):
    """The case record, fetched only by templates that show it (status banner, contact)."""
    return {"case": SimpleLazyObject(selectors.case_current)}
