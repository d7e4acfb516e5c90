"""Every staff page, as Chromium builds it: no id used twice, and no ARIA reference
(aria-describedby, aria-labelledby, aria-controls) naming an id that is not on the page.
(Two engines not ours found both: two ``id_version`` on a submission's page, and the queue's
bulk-reason field described by a missing id.)"""

from __future__ import annotations

import pytest
from django.utils import timezone

from caseapp.models import Submission
from caseapp.services.duplicates import submission_mark_duplicate
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import make_staff

from .test_staff import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCAN = """() => {
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const duplicates = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  const dangling = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const el of document.querySelectorAll("[" + attr + "]")) {
      for (const ref of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(ref)) dangling.push(attr + "=" + ref);
      }
    }
  }
  return {duplicates, dangling};
}"""


def assert_ids_sound(page, label: str) -> None:
    found = page.evaluate(SCAN)
    assert found == {"duplicates": [], "dangling": []}, f"{label}: {found}"


def test_staff_pages_have_unique_ids_and_no_dangling_aria_references(page):
    supervisor = make_staff("sam", "Supervisor", email="sam@firm.example")
    kept = make_submission(full_name="Ada Lovelace", email="ada@example.org")
    again = make_submission(full_name="Ada Lovelace", email="ada@example.org")
    needs = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    submission_mark_duplicate(submission=again, actor=supervisor, expected_version=1,
                              duplicate_of=kept)
    Submission.objects.filter(pk=kept.pk).update(email_confirmed_at=timezone.now())
    sign_in(page, "sam")
    pages = {
        "overview": "/staff/",
        "queue": "/staff/submissions/?sort=-received",
        "queue, filtered": "/staff/submissions/?outcome=eligible&state=CA&duplicate=yes",
        "submission": f"/staff/submissions/{kept.reference}/",
        "submission, in work-queue mode": f"/staff/submissions/{kept.reference}/?wq=1",
        "a marked duplicate": f"/staff/submissions/{again.reference}/",
        "compare": f"/staff/submissions/{kept.reference}/duplicates/",
        "message": f"/staff/submissions/{kept.reference}/message/?template=accepted",
        "message templates": "/staff/messages/templates/",
        "updates": "/staff/updates/",
        "new update": "/staff/updates/new/?state=CA",
        "case record": "/staff/case/",
        "keyboard": "/staff/keyboard/",
    }
    for label, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, label
        assert_ids_sound(page, label)
    # The pages a step further: the queue's folded filters open, an update counted and
    # previewed, the "accept as eligible" confirmation.
    page.goto("/staff/submissions/?sort=-received")
    if page.locator("details summary").count():
        page.locator("details summary").first.click()
    assert_ids_sound(page, "queue, more filters")
    page.goto("/staff/updates/new/")
    for label, text in (("Subject (English)", "News"), ("Message (English)", "The news."),
                        ("Subject (Spanish)", "Noticias"), ("Message (Spanish)", "Las noticias.")):
        page.get_by_label(label).fill(text)
    page.get_by_role("button", name="Count and preview").click()
    page.get_by_role("button", name="Send to").wait_for()
    assert_ids_sound(page, "new update, previewed")
    page.goto(f"/staff/submissions/{needs.reference}/")
    page.get_by_role("button", name="Accept", exact=True).click()
    page.get_by_role("button", name="Accept as eligible").wait_for()
    assert_ids_sound(page, "accept as eligible")
