"""caseapp.templatetags.staff_forms: form controls drawn in Python for the busiest staff pages."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django import forms
from django.template import Context, Template

from caseapp.templatetags.staff_forms import control


class Filters(forms.Form):
    q = forms.CharField(required=False, max_length=50, help_text="Name or email")
    status = forms.ChoiceField(required=False, choices=[
        ("", "Any"), ("new", "New"), ("x<y", "Odd & <label>")])
    flagged = forms.BooleanField(required=False)
    note = forms.CharField(widget=forms.Textarea)
    size = forms.CharField(widget=forms.TextInput(attrs={"class": "form-control-sm"}))
    version = forms.IntegerField(widget=forms.HiddenInput)


INITIAL = {"q": 'a"b<c', "status": "x<y", "flagged": True, "note": "hi <b>", "version": 3}
WRONG = {"q": "x" * 51, "note": "", "size": ""}  # too long, then two required left empty


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def parsed(html: str) -> tuple[list[tuple[str, dict]], list[str]]:
    """Elements with their attributes, and the text, whatever the order and spacing."""
    page = Parsed(html)
    return page.elements, page.text


def without_class(elements):
    return [(tag, {k: v for k, v in attrs.items() if k != "class"}) for tag, attrs in elements]


@pytest.mark.parametrize("form", [Filters(initial=INITIAL), Filters(WRONG)],
                         ids=["unbound", "with errors"])
@pytest.mark.parametrize("name", ["q", "status", "flagged", "note", "size"])
def test_each_control_is_djangos_own_widget_with_bootstraps_classes(form, name):
    """Same element, name, id, value, selection, limits and ARIA as Django draws; only the
    class is added, so skipping Django's widget templates changes nothing a browser sees."""
    ours, our_text = parsed(control(form[name]))
    django, django_text = parsed(str(form[name]))
    assert without_class(ours) == without_class(django)
    assert our_text == django_text


@pytest.mark.parametrize(("name", "css"), [
    ("q", "form-control"), ("note", "form-control"), ("status", "form-select"),
    ("flagged", "form-check-input"), ("size", "form-control-sm"),
])
def test_the_class_is_bootstraps_for_the_kind_or_the_widgets_own(name, css):
    form = Filters(initial=INITIAL)
    assert parsed(control(form[name]))[0][0][1]["class"] == css
    wrong = Filters(WRONG)
    if wrong[name].errors:
        assert parsed(control(wrong[name]))[0][0][1]["class"] == f"{css} is-invalid"


def test_a_wrong_answer_is_marked_invalid_and_linked_to_its_help_and_error():
    ((tag, attrs),), _ = parsed(control(Filters(WRONG)["q"]))
    assert tag == "input"
    assert attrs["aria-invalid"] == "true"
    assert attrs["aria-describedby"] == "id_q_helptext id_q_error"
    assert attrs["class"] == "form-control is-invalid"


def test_a_right_answer_is_not_marked_invalid():
    ((_tag, attrs),), _ = parsed(control(Filters({"q": "ok", "note": "n", "size": "s"})["q"]))
    assert "aria-invalid" not in attrs and attrs["aria-describedby"] == "id_q_helptext"


def test_values_and_labels_are_escaped():
    form = Filters(initial=INITIAL)
    assert 'value="a&quot;b&lt;c"' in control(form["q"])
    assert '<option value="x&lt;y" selected>Odd &amp; &lt;label&gt;</option>' in control(
        form["status"])
    assert "hi &lt;b&gt;</textarea>" in control(form["note"])


def test_only_the_chosen_option_is_selected():
    html = control(Filters({"status": "new"})["status"])
    assert html.count(" selected") == 1 and '<option value="new" selected>' in html
    assert control(Filters({"status": ""})["status"]).count(" selected") == 1


def test_a_hidden_field_has_no_class():
    ((tag, attrs),), _ = parsed(control(Filters(initial=INITIAL)["version"]))
    assert (tag, attrs) == ("input", {"id": "id_version", "name": "version", "type": "hidden",
                                      "value": "3"})


def test_the_template_tag_draws_the_same_control():
    form = Filters(initial=INITIAL)
    html = Template("{% load staff_forms %}{% control form.status %}").render(
        Context({"form": form}))
    assert html == control(form["status"])
