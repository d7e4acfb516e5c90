"""Staff form controls drawn in Python, for the pages reviewers load all day.

The queue and a submission page use them. Crispy's and Django's widget templates render each
field, and each select option, through a template of its own: at a million rows that, not the
database, was most of a queue page's time (issue 5). Forms seen less often keep crispy."""

from django import template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

CLASSES = {"select": "form-select", "checkbox": "form-check-input"}
SELECTED = mark_safe(" selected")  # noqa: S308 (a constant)


def control_attrs(field) -> dict:
    """The widget's attributes with Bootstrap's classes, its errors and help text linked by
    ``aria-describedby``, and ``aria-invalid`` when wrong (also what
    scripts/measure_speedups.py gives Django's own widget rendering to compare)."""
    kind = field.widget_type
    attrs = dict(field.field.widget.attrs)
    css = [attrs.get("class", CLASSES.get(kind, "form-control"))]
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        css.append("is-invalid")
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if kind != "hidden":
        attrs["class"] = " ".join(css)
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


@register.simple_tag
def control(field) -> str:
    """The field's ``<input>``, ``<select>`` or ``<textarea>`` with ``control_attrs``."""
    widget, kind = field.field.widget, field.widget_type
    attrs = field.build_widget_attrs({**control_attrs(field), "name": field.html_name,
                                      "id": field.auto_id})
    value = field.value()
    if kind == "select":
        return format_html("<select{}>{}</select>", flatatt(attrs), _options(field, value))
    if kind == "textarea":
        return format_html("<textarea{}>\n{}</textarea>", flatatt(attrs),
                           widget.format_value(value) or "")
    attrs["type"] = widget.input_type
    if kind == "checkbox":
        if widget.check_test(value):
            attrs["checked"] = True
    else:
        formatted = widget.format_value(value)
        if formatted is not None:
            attrs["value"] = formatted
    return format_html("<input{}>", flatatt(attrs))


def _options(field, value) -> str:
    current = "" if value is None else str(value)
    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (choice, SELECTED if str(choice) == current else "", label)
        for choice, label in field.field.choices
    ))
