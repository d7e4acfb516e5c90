"""The Jinja2 environment for the public pages and the staff overview's figures (templates/jinja2/).

The public check is the page a million people load, so its templates use Jinja2, which Django
supports as a second engine: rendering a question page took 0.75 ms in Django's template
language and takes 0.2 ms here (docs/decisions.md). Staff pages keep Django's templates,
crispy forms and their tags; only the overview's figures, a page of tables and charts with no
form, are drawn here inside its Django page (views/staff/overview.py says why).

Text is translated with Django's own catalogs: ``{{ _("...") }}`` is gettext, and
``makemessages`` finds those calls in these files as it does in Django templates. Plurals are
chosen in Python (``ngettext``), where ``makemessages`` sees them too.
"""

from __future__ import annotations

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.html import format_html
from django_htmx.jinja import htmx_script
from jinja2 import Environment

from caseapp.local_time import clock_time, date_element, date_time, day_and_month, long_date
from caseapp.models import Case
from caseapp.models.case import TimeLimit
from caseapp.selectors.case_record import case_for_request
from caseapp.templatetags.humanize_money import dollars
from caseapp.templatetags.page_parts import error_summary, htmx_config_meta

# The public pages' lookups, one speed-up (issue 18's "lru-cached gettext/URL/static lookups
# for Jinja2"): a text in the request's language, a URL by its name, a static file's
# fingerprinted name. None changes while a process runs (catalogues are compiled, URLs
# loaded and collectstatic run before the server starts), so each is worked out once per
# process. Measured as one, through the WSGI handler gunicorn calls, they save 14.3 % of a
# request of the check (instructions; docs/decisions.md, "Framework first"): kept.

@functools.lru_cache(maxsize=4096)
def translated(language: str, message: str) -> str:
    """``_()`` in the public templates: Django's ``gettext`` of ``message`` in ``language``."""
    with translation.override(language):
        return translation.gettext(message)


@functools.lru_cache(maxsize=1024)
def _reverse(prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args)


def url(name: str, *args) -> str:
    """``{% url %}`` for the public templates: Django's ``reverse``, once per script prefix."""
    return _reverse(get_script_prefix(), name, args)


@functools.lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """``{% static %}``: Django's ``static``, once per file."""
    return static(path)


@receiver(setting_changed)
def _forget_lookups(**kwargs) -> None:
    # Tests change languages, URLconfs and storages under a running process.
    translated.cache_clear()
    _reverse.cache_clear()
    static_url.cache_clear()


def public_context(request) -> dict:
    """What every public page shows, read once and given as plain values.

    Every public page shows the case and a form, so nothing here is worth deferring, and lazy
    wrappers cost an exception per attribute read. One masked CSRF token serves the page's
    forms and htmx's header: the Jinja2 backend's own ``csrf_token`` and ``csrf_input`` mask a
    fresh token each time they are shown (three times on a question page), and masking draws
    32 random characters from the system. Context processors run after the backend sets those
    two, so these take their place."""
    case = case_for_request(request)
    language = getattr(request, "LANGUAGE_CODE", "en")
    token = get_token(request)
    return {
        # ``_()`` in a template calls the context's ``gettext``: the text in this language.
        "gettext": functools.partial(translated, language),
        "case": case,
        "case_status": case.get_status_display(),
        "case_status_text": case.status_text(language),
        # CASE_FACTS "Dates of the status": the event's own date and the day the firm last
        # checked the docket, both from the case record; never the record's save date.
        "case_status_on": case.status_changed_on,
        "case_checked_on": case.docket_checked_on,
        "case_status_note": case.in_language("status_note", language),
        "case_court": case.in_language("court", language),
        "case_closed_message": case.in_language("registration_closed_message", language),
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "csrf_token": token,
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
    }


def sca_time_limit(case: Case) -> TimeLimit:
    """The 18 U.S.C. § 2707(f) limit counted from the case record's reference date, today."""
    return case.sca_time_limit()


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=False)
    env.globals.update(
        url=url,
        static=static_url,
        htmx_script=htmx_script,
        htmx_config_meta=htmx_config_meta,
        error_summary=error_summary,
        get_current_language=translation.get_language,
        sca_time_limit=sca_time_limit,
    )
    env.filters.update(
        dollars=dollars,
        long_date=long_date,
        clock_time=clock_time,
        date_time=date_time,
        linebreaksbr=defaultfilters.linebreaksbr,
        time=defaultfilters.time,
        # The staff overview's: Django's own filters and the staff tables' dates.
        floatformat=defaultfilters.floatformat,
        timesince=defaultfilters.timesince_filter,
        date_element=date_element,
        day_and_month=day_and_month,
    )
    return env
