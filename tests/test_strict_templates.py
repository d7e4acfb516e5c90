"""Templates are strict under the tests (tests/strict_templates.py): a name a template reads and
nobody gave fails the render, in Django's templates and in Jinja2."""

from __future__ import annotations

import copy

import jinja2
import pytest
from django.template import engines
from django.template.loader import render_to_string

UNDEFINED = pytest.fail.Exception  # pytest's failure: no {% if %} or handler can swallow it


@pytest.fixture
def template_dir(tmp_path, settings):
    """A directory of the project's templates for this test, in both engines, as strict as
    templates/ is."""
    (tmp_path / "jinja2").mkdir()
    templates = copy.deepcopy(settings.TEMPLATES)
    for engine in templates:
        jinja = engine["BACKEND"].endswith("Jinja2")
        engine["DIRS"] = [*engine["DIRS"], tmp_path / "jinja2" if jinja else tmp_path]
    settings.TEMPLATES = templates

    def write(name: str, text: str) -> str:
        (tmp_path / name).write_text(text)
        return name.removeprefix("jinja2/")
    return write


class Form:
    """A form that lost a name its template still reads (form.AUDIENCE_FIELDS)."""

    fields = ("subject",)


@pytest.mark.parametrize("text", [
    "{{ missing }}",
    "{{ form.AUDIENCE_FIELDS }}",
    # Django's own string_if_invalid never sees these: they resolve with failures ignored.
    "{% for name in form.AUDIENCE_FIELDS %}{{ name }}{% endfor %}",
    "{% if form.AUDIENCE_FIELDS %}audience{% endif %}",
    "{% if form.fields and missing %}both{% endif %}",
    "{% firstof missing 'x' %}",
    "{% include 'included.html' with value=missing %}",
    "{% load i18n %}{% blocktranslate %}To {{ missing }}{% endblocktranslate %}",
])
def test_an_undefined_name_fails_a_django_template(template_dir, text):
    template_dir("included.html", "{{ value }}")
    name = template_dir("page.html", text)
    with pytest.raises(UNDEFINED, match="Undefined template variable"):
        render_to_string(name, {"form": Form()}, using="django")


def test_a_name_an_included_template_reads_fails_too(template_dir):
    template_dir("included.html", "{{ value }}")
    name = template_dir("page.html", "{% include 'included.html' %}")
    with pytest.raises(UNDEFINED, match="included.html"):
        render_to_string(name, {}, using="django")


def test_a_default_declares_that_a_name_may_be_missing(template_dir):
    name = template_dir("page.html", "{{ missing|default:'none' }} {{ given }} "
                                     "{% for name in form.fields %}{{ name }}{% endfor %}")
    assert render_to_string(name, {"given": "here", "form": Form()},
                            using="django") == "none here subject"


def test_templates_that_are_not_the_projects_stay_lenient():
    # Django's admin and crispy's templates are not ours to fix; nor is a template from text.
    assert engines["django"].from_string("[{{ missing }}]").render({}) == "[]"


def test_the_projects_own_templates_are_strict():
    with pytest.raises(UNDEFINED, match="caseapp/staff/_form.html"):
        render_to_string("caseapp/staff/_form.html", {}, using="django")


@pytest.mark.parametrize("text", [
    "{{ missing }}",
    "{{ form.AUDIENCE_FIELDS }}",
    "{% for name in form.AUDIENCE_FIELDS %}{{ name }}{% endfor %}",
    "{% if form.AUDIENCE_FIELDS %}audience{% endif %}",
])
def test_an_undefined_name_fails_a_jinja2_template(template_dir, text):
    name = template_dir("jinja2/page.html", text)
    with pytest.raises(jinja2.UndefinedError):
        render_to_string(name, {"form": Form()}, using="jinja2")


def test_is_defined_declares_that_a_name_may_be_missing_in_jinja2(template_dir):
    name = template_dir("jinja2/page.html",
                        "{{ missing if missing is defined else 'none' }} {{ given }}")
    assert render_to_string(name, {"given": "here"}, using="jinja2") == "none here"
