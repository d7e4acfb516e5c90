"""The Jinja2 environment for the public pages (templates/jinja2/).

The public check is the page a million people load, so its templates use Jinja2, which Django
supports as a second engine: rendering a question page took 0.75 ms in Django's template
language and takes 0.2 ms here (docs/decisions.md). Staff pages keep Django's templates,
crispy forms and their tags.

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

from caseapp.local_time import clock_time, date_time, long_date
from caseapp.models import Case
from caseapp.models.case import TimeLimit
from caseapp.selectors.case_record import case_for_request
from caseapp.templatetags.humanize_money import dollars
from caseapp.templatetags.page_parts import error_summary, htmx_config_meta


@functools.lru_cache(maxsize=1024)
def _reverse(prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args)


def url(name: str, *args) -> str:
    """``{% url %}`` for the public templates: a URL by its name. URLs do not change while a
    process runs, so each is worked out once (per script prefix, which a request may set).
    Measured (scripts/measure_speedups.py, production settings): saves 4.0 % of a question
    page request and 8.4 % of the start page."""
    return _reverse(get_script_prefix(), name, args)


@functools.lru_cache(maxsize=4096)
def _translated(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


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
        # ``_()`` in a template calls the context's gettext: this one looks each text up once
        # per language and process, not through the active-language lookup every time. The
        # catalogs are compiled before the server starts and do not change under it.
        # Measured (scripts/measure_speedups.py): saves 2.2 % of a question page request (12
        # texts) and 7.7 % of the start page (26), about 3.5 % of a page across the check.
        "gettext": functools.partial(_translated, language),
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


@receiver(setting_changed)
def _forget_cached(**kwargs) -> None:
    # Tests change settings (storages, URLconf, languages) under a running process.
    _reverse.cache_clear()
    _translated.cache_clear()


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=False)
    env.globals.update(
        url=url,
        # Django's own lookup: a cache saved 3.6 % of the start page, -1.3 % of a
        # question page (scripts/measure_speedups.py, issue 18), under the 10 % rule.
        static=static,
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
    )
    return env
