"""caseapp.templatetags.page_parts: the htmx settings and the error summary both engines draw."""

from __future__ import annotations

import html
import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from caseapp.templatetags.page_parts import error_summary, htmx_config_meta


class Contact(forms.Form):
    name = forms.CharField(label="Name")
    channel = forms.ChoiceField(choices=[("email", "Email"), ("phone", "Phone")],
                                widget=forms.RadioSelect)
    note = forms.CharField(required=False)

    def clean(self):
        raise ValidationError("Both <b>answers</b> disagree", code="disagree")


def test_the_htmx_config_turns_off_eval_inline_styles_script_tags_and_page_copies():
    meta = htmx_config_meta()
    content = re.fullmatch(r'<meta name="htmx-config" content="([^"]*)">', meta).group(1)
    assert json.loads(html.unescape(content)) == {
        "includeIndicatorStyles": False,  # strict CSP: no inline styles
        "allowEval": False,
        "allowScriptTags": False,
        "historyCacheSize": 0,  # no copy of a page with personal data in localStorage
        "refreshOnHistoryMiss": True,
        "scrollIntoViewOnBoost": False,
    }


def test_the_django_template_tags_draw_the_same_parts():
    form = Contact({})
    rendered = Template("{% load page_parts %}{% htmx_config_meta %}|{% error_summary form %}"
                        ).render(Context({"form": form}))
    assert rendered == f"{htmx_config_meta()}|{error_summary(form)}"


def test_no_form_or_no_error_draws_nothing():
    assert error_summary(None) == ""
    assert error_summary(Contact()) == ""  # unbound: nothing was wrong yet

    class Fine(forms.Form):
        name = forms.CharField()
    assert error_summary(Fine({"name": "Ana"})) == ""


def test_every_error_is_listed_and_each_field_error_links_to_its_field():
    summary = error_summary(Contact({"note": "ok"}))
    items = re.findall(r"<li>(.*?)</li>", summary)
    assert items == [
        "Both &lt;b&gt;answers&lt;/b&gt; disagree",  # the form's own error: escaped, no link
        '<a href="#id_name">This field is required.</a>',
        '<a href="#id_channel_0">This field is required.</a>',  # a radio group's first radio
    ]


def test_the_summary_is_announced_and_takes_the_focus():
    summary = error_summary(Contact({}))
    opening = summary.split(">", 1)[0]
    for part in ('role="alert"', 'aria-labelledby="error-summary-title"', 'tabindex="-1"',
                 "autofocus", "data-error-summary"):
        assert part in opening
    assert '<h2 id="error-summary-title" class="h4">There is a problem</h2>' in summary


def test_the_heading_is_in_the_readers_language():
    with translation.override("es"):
        assert "Hay un problema" in error_summary(Contact({}))
