"""Status before money, the time limit, the region answer and the focus style, as a reader
meets them in Chromium."""

from __future__ import annotations

import re

import pytest

from caseapp.models import Case

from .conftest import assert_accessible
from .test_public_flow import ELIGIBLE, register_from_form, result_main, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_any_language(page, answers):
    """Answer by code and the page's own submit button, whatever language it is in."""
    page.goto("/check/country/")
    for key, code in answers:
        page.wait_for_url(f"**/check/{key}/")
        page.locator(f"input[name='{key}'][value='{code}']").check()
        page.locator("main button[type=submit]").click()
    page.wait_for_url("**/check/answers/")
    page.locator("main button[type=submit]").click()
    return result_main(page)


def eligible_result(page):
    return answer_any_language(page, ELIGIBLE)


def reading_order_text(page) -> str:
    """What a screen reader reads, in order: the rendered text of the whole body."""
    return re.sub(r"\s+", " ", page.locator("body").inner_text())


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_eligible_result_says_where_the_case_stands_before_any_amount(page, language):
    case = Case.objects.get()
    if language == "es":
        page.goto("/")
        page.get_by_role("button", name="Español").click()
        page.wait_for_load_state()
    main = eligible_result(page)
    assert main.get_attribute("data-outcome") == "eligible"
    assert main.get_attribute("data-estimated-damages") == "1000"
    text = reading_order_text(page)
    status = case.status_text(language)
    assert status in text
    assert text.index(status) < text.index("$"), "the amount comes before the case status"
    limit = page.locator("[data-time-limit]")
    assert "2707(f)" in limit.inner_text()
    # Same weight: the amount is a sentence in body text, no bigger or bolder than the status.
    sizes = page.evaluate("""() => ['.status-text', '.estimate'].map(s => {
        const cs = getComputedStyle(document.querySelector(s));
        return [parseFloat(cs.fontSize), parseInt(cs.fontWeight)]; })""")
    assert sizes[0] == sizes[1]
    assert_accessible(page, f"eligible result ({language})")


def test_with_the_case_active_the_result_leads_with_the_active_wording(page):
    case = Case.objects.get()
    case.status = Case.Status.ACTIVE
    case.save()
    eligible_result(page)
    text = reading_order_text(page)
    assert case.status_text_active in text
    assert case.status_text_dismissed not in text
    assert text.index(case.status_text_active) < text.index("$")
    assert page.locator("[data-case-status]").get_attribute("data-case-status") == "active"


def test_moving_around_august_2024_leads_to_needs_review(page):
    start(page)
    assert "August and September 2024" in page.locator("h1").inner_text()
    main = answer_any_language(page, [("country", "UNSURE"), *ELIGIBLE[1:]])
    assert main.get_attribute("data-outcome") == "needs_review"
    assert "I moved around that time" in main.inner_text()


def test_after_registering_back_shows_the_reference(page):
    eligible_result(page)
    page.get_by_role("link", name="Register with the firm").click()
    reference = register_from_form(page, email="back@example.com", state="TX")
    page.go_back()
    page.wait_for_load_state()
    page.reload()
    text = page.locator("main").inner_text()
    assert f"You have already registered — reference {reference}" in text
    assert "Nothing was saved" not in text
    assert_accessible(page, "already registered")
    page.get_by_role("button", name="Start a new check for someone else").click()
    page.wait_for_url("**/check/country/")


# --- focus ----------------------------------------------------------------------------------

COLOR = re.compile(r"rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)")
YELLOW = (255, 221, 0)

STYLE = """el => { const cs = getComputedStyle(el); return {
    outline: [cs.outlineStyle, cs.outlineWidth, cs.outlineColor], shadow: cs.boxShadow,
    border: [cs.borderTopWidth, cs.borderTopColor], background: cs.backgroundColor,
    page: getComputedStyle(document.body).backgroundColor,
    focused: el.matches(':focus-visible') || el.matches(':focus') }; }"""


def colors(text: str) -> list[tuple[int, int, int]]:
    return [tuple(round(float(c)) for c in m.groups()[:3]) for m in COLOR.finditer(text)
            if m.group(4) is None or float(m.group(4)) > 0]


def luminance(rgb) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def indicator_colors(style: dict, before: dict) -> list[tuple[int, int, int]]:
    """The colours the focus style adds: outline, shadows, and a changed background or border."""
    found = colors(style["shadow"])
    outline_style, outline_width, outline_color = style["outline"]
    if outline_style != "none" and float(outline_width[:-2]) >= 2:
        found += colors(outline_color)
    if style["background"] != before["background"]:
        found += colors(style["background"])
    if style["border"] != before["border"]:
        found += colors(style["border"][1])
    return found


def assert_focus_visible(locator, label: str, *, unfocused: dict) -> None:
    # Measure the settled style, after any transition has run.
    locator.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
    style = locator.evaluate(STYLE)
    assert style["focused"], label
    page_colour = colors(style["page"])[0]
    added = indicator_colors(style, unfocused)
    assert any(contrast(c, YELLOW) < 1.05 for c in added), (label, "no yellow", style)
    dark = max(added + colors(style["border"][1]), key=lambda c: contrast(c, page_colour))
    # The black part of the indicator stands out from the page and from the yellow.
    assert contrast(dark, page_colour) >= 3, (label, style)
    assert contrast(dark, YELLOW) >= 3, (label, style)
    assert not any(contrast(c, YELLOW) < 1.05 for c in colors(unfocused["shadow"])), label


def unfocused_style(locator) -> dict:
    return locator.evaluate(STYLE)


def test_radios_checkboxes_inputs_and_buttons_show_the_yellow_focus(page):
    start(page)
    radio = page.locator("input[name=country][value=US]")
    before = unfocused_style(radio)
    assert contrast(colors(before["border"][1])[0], (255, 255, 255)) >= 3, "radio border"
    page.keyboard.press("Tab")
    radio.focus()
    assert_focus_visible(radio, "radio", unfocused=before)
    button = page.locator("main button[type=submit]")
    before = unfocused_style(button)
    page.keyboard.press("Tab")
    assert_focus_visible(button, "button", unfocused=before)

    eligible_result(page)
    page.get_by_role("link", name="Register with the firm").click()
    page.wait_for_url("**/register/")
    for selector, label in (("[name=full_name]", "text input"),
                            ("[name=consent_contact]", "checkbox")):
        control = page.locator(selector)
        before = unfocused_style(control)
        border = colors(before["border"][1])[0]
        assert contrast(border, (255, 255, 255)) >= 3, f"{label} border {border}"
        control.focus()
        assert_focus_visible(control, label, unfocused=before)


def test_the_example_firms_banner_is_a_landmark_of_its_own(page):
    """What `make run` shows: the made-up firm's banner, inside a landmark like the rest."""
    case = Case.objects.get()
    case.firm_is_example = True
    case.save()
    page.goto("/")
    banner = page.get_by_role("region", name="Example")
    assert "made up" in banner.inner_text()
    assert_accessible(page, "start page, example firm")
