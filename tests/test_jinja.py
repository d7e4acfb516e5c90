"""The public pages' Jinja2 environment (caseapp/jinja.py), through real requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db

PUBLIC_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "jinja2"


def _template_strings() -> set[str]:
    """Every ``_("...")`` in the public templates: what makemessages extracts from them."""
    found = set()
    for path in PUBLIC_TEMPLATES.rglob("*.html"):
        found.update(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', path.read_text()))
        found.update(re.findall(r"_\('((?:[^'\\]|\\.)*)'\)", path.read_text()))
    return found


def test_every_public_template_string_has_a_spanish_translation():
    strings = _template_strings()
    assert len(strings) > 80  # the scan itself works
    catalog = translation.trans_real.translation("es")
    # "Error:" is "Error:" in Spanish too, so ask the catalog, not whether the text changed.
    missing = sorted(s for s in strings if catalog._catalog.get(s) is None)
    assert missing == []


def test_a_question_page_masks_one_csrf_token_for_all_its_forms(client):
    html = client.get("/check/country/").content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    tokens += re.findall(r'"X-CSRFToken": "([^"]+)"', html)
    assert len(tokens) == 3  # the question form, the language switch, htmx's header
    assert len(set(tokens)) == 1


def test_html_in_answers_and_case_text_is_escaped(client, case):
    case.status_note = "<script>alert(1)</script> & more"
    case.save()
    html = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_a_bad_request_page_is_a_whole_public_page_with_the_case_status(client, case):
    client.get("/check/country/")
    data = {f"f{n}": "x" for n in range(1000)}
    response = client.post("/check/country/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Something was wrong with that request" in html
    assert case.get_status_display() in html and 'name="language"' in html


def test_plurals_follow_the_number_in_both_languages(client, case):
    case.draft_retention_hours = 1
    case.save()
    assert "expires after 1 hour." in client.get("/privacy/").content.decode()
    spanish = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "vence después de 1 hora." in spanish


def test_a_question_page_reads_in_spanish_after_an_english_one(client):
    """Texts are looked up once per language and process: the second language gets its own."""
    assert "Continue" in client.get("/check/country/").content.decode()
    spanish = client.get("/check/country/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Continuar" in spanish and ">Continue<" not in spanish


def test_a_changed_setting_empties_the_lookups(client, settings):
    """The lookups are worked out once per process, and forgotten when a setting changes."""
    assert 'href="/static/caseapp/app' in client.get("/").content.decode()
    settings.STATIC_URL = "/assets/"
    assert 'href="/assets/caseapp/app' in client.get("/").content.decode()


def test_a_url_follows_the_script_prefix_it_is_reversed_under():
    from django.urls import clear_script_prefix, set_script_prefix

    from caseapp import jinja

    assert jinja.url("public:privacy") == "/privacy/"
    set_script_prefix("/check-app/")
    try:
        assert jinja.url("public:privacy") == "/check-app/privacy/"
    finally:
        clear_script_prefix()
    assert jinja.url("public:privacy") == "/privacy/"
