"""The Content-Security-Policy is real: the browser enforces it, and our pages never trip it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_csp_blocks_inline_script_and_other_origins(page):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    violations = page.evaluate("""() => new Promise(resolve => {
        const seen = [];
        document.addEventListener('securitypolicyviolation',
            e => { seen.push(e.violatedDirective); });
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.body.appendChild(s);
        const img = document.createElement('img');
        img.src = 'https://tracker.invalid/pixel.gif';
        document.body.appendChild(img);
        setTimeout(() => resolve(seen), 300);
    })""")
    assert page.evaluate("window.__inlineRan === true") is False
    assert any(v.startswith("script-src") for v in violations)
    assert any(v.startswith("img-src") for v in violations)
    # The page's own records: the two violations we caused, nothing else.
    page.watch.console_errors.clear()
    page.watch.foreign_requests.clear()


def test_htmx_works_under_the_policy_without_violations(page):
    page.goto("/check/country/")
    page.evaluate("""() => { window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective)); }""")
    page.locator("input[name=country][value=US]").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check/premium/")
    assert page.evaluate("window.__violations") == []
    assert page.evaluate("typeof htmx") == "object"
