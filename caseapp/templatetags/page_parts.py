"""Page parts both template engines draw: the error summary and the htmx configuration.

The public pages (Jinja2, caseapp/jinja.py) and the staff pages (Django's templates, ``{% load
page_parts %}``) call the same functions, so the pattern and the security settings below cannot
drift apart between them."""

from __future__ import annotations

import json

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()

#: htmx's settings, read from <meta name="htmx-config">: no inline styles (strict CSP), no
#: eval, no script tags from swapped content, no page copies in localStorage.
HTMX_CONFIG = json.dumps({
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "scrollIntoViewOnBoost": False,
}, separators=(",", ":"))


@register.simple_tag
def htmx_config_meta() -> SafeString:
    return format_html('<meta name="htmx-config" content="{}">', HTMX_CONFIG)


@register.simple_tag
def error_summary(form) -> SafeString | str:
    """GOV.UK's error summary: every error of the form, each linked to its field (a radio
    group's first radio). Empty when the form has no errors."""
    if not form or not form.errors:
        return ""
    links = [
        (f"{field.auto_id}_0" if getattr(field.field.widget, "input_type", None) == "radio"
         else field.auto_id, error)
        for field in form for error in field.errors
    ]
    return format_html(
        '<div class="error-summary" role="alert" aria-labelledby="error-summary-title" '
        'tabindex="-1" autofocus data-error-summary>\n'
        '  <h2 id="error-summary-title" class="h4">{}</h2>\n'
        '  <ul class="mb-0">{}{}</ul>\n</div>',
        gettext("There is a problem"),
        format_html_join("", "<li>{}</li>", ((error,) for error in form.non_field_errors())),
        format_html_join("", '<li><a href="#{}">{}</a></li>', links),
    )
