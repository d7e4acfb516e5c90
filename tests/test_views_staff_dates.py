"""Every date and time a staff member reads is in their language's format and the firm's time
zone, inside ``<time datetime="…">`` for tools (issue 21, item 10); the CSV export keeps ISO."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp.models import (
    DailyCount,
    InfoRequest,
    InfoRequestReason,
    Message,
    ReviewEvent,
    Submission,
)
from caseapp.services.info_requests import info_request_send
from caseapp.services.privacy import submission_erase_personal_data
from caseapp.services.review import submission_assign, submission_decide, submission_note_add
from caseapp.services.saved_views import saved_view_save
from caseapp.services.staff_messages import message_send_staff
from caseapp.services.team import staff_language_set
from caseapp.services.updates import update_send
from tests.factories import close_case, make_submission
from tests.staff_users import make_staff
from tests.test_views_public_wording import visible_text

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Rules and wording versions are names that start with a date ("2025-01-21.3",
#: "consent-2025-02-01.1"): the legal record cites them exactly, so they are shown as they are.
VERSION = re.compile(r"\b(?:[a-z]+-)?\d{4}-\d{2}-\d{2}\.\d+\b")
UTC = datetime.timezone.utc
# 21:05:07 UTC on 4 December 2026 is 1:05 p.m. in Los Angeles (PST, UTC-8).
RECEIVED = datetime.datetime(2026, 12, 4, 21, 5, 7, tzinfo=UTC)
SHOWN = {"en": "Dec 4, 2026, 1:05 PM PST", "es": "4 dic 2026, 1:05 p. m. PST"}


@pytest.fixture
def firm_in_los_angeles(settings):
    settings.TIME_ZONE = "America/Los_Angeles"


@pytest.fixture
def admin(db):
    return make_staff("ada", "Administrator", email="ada@example.com")


@pytest.fixture
def busy_workspace(case, admin, firm_in_los_angeles):
    """One of everything that carries a date: decisions, notes, messages sent, an update with
    a date in its audience, an answered request for information, an erased person, a closed
    case, a colleague's last sign-in, a saved view, weeks of counts."""
    close_case(case, days_ago=3)
    shown = make_submission(full_name="Dana Example", email="dana@example.com")
    twin = make_submission(full_name="Dana Example", email="dana@example.com")
    Submission.objects.filter(pk=shown.pk).update(created_at=RECEIVED,
                                                  email_confirmed_at=RECEIVED)
    shown.refresh_from_db()
    submission_note_add(submission=shown, actor=admin, text="Called, no answer.")
    message = message_send_staff(submission=shown, actor=admin, subject="Hello", body="Hi.")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT,
                                                 sent_at=timezone.now())
    decided = make_submission()
    submission_decide(submission=decided, actor=admin, expected_version=decided.version,
                      decision="accepted")
    asked = make_submission()
    submission_assign(submission=asked, actor=admin, assignee=admin,
                      expected_version=asked.version)
    asked.refresh_from_db()
    reason = InfoRequestReason.objects.create(name="Proof", public_text="A screenshot.",
                                              public_text_es="Una captura.")
    info_request_send(submission=asked, actor=admin, expected_version=asked.version,
                      reasons=[reason])
    InfoRequest.objects.filter(submission=asked).update(answered_at=timezone.now())
    Submission.objects.filter(pk=asked.pk).update(review_status="info_received")
    erased = make_submission()
    submission_erase_personal_data(submission=erased, actor=admin, category="person_asked")
    update = update_send(case=case, actor=admin, subject="News", body="Body.",
                         subject_es="Noticias", body_es="Cuerpo.",
                         audience={"received_from": datetime.date(2026, 9, 1)})
    Message.objects.filter(update=update).update(status=Message.Status.SENT,
                                                 sent_at=timezone.now())
    make_staff("bo", "Reviewer", last_login=RECEIVED)
    saved_view_save(owner=admin, name="Since September", query="received_from=2026-09-01")
    DailyCount.objects.create(day=timezone.localdate() - datetime.timedelta(weeks=3),
                              metric="registered", count=4)
    assert ReviewEvent.objects.filter(submission=shown).exists()
    return {"shown": shown, "twin": twin, "asked": asked, "erased": erased, "update": update,
            "reason": reason}


def staff_pages(data) -> list[str]:
    """Every staff page a signed-in member reads (GET), the export's CSV aside."""
    shown, erased = data["shown"].reference, data["erased"].reference
    return [
        reverse("staff:overview"), reverse("staff:queue"),
        reverse("staff:queue") + "?received_from=2026-09-01&sort=-received",
        reverse("staff:submission", args=[shown]), reverse("staff:submission", args=[erased]),
        reverse("staff:compare", args=[shown]), reverse("staff:message", args=[shown]),
        reverse("staff:submission", args=[data["asked"].reference]),
        reverse("staff:info_request", args=[data["asked"].reference]),
        reverse("staff:info_request_reasons"),
        reverse("staff:info_request_reason", args=[data["reason"].pk]),
        reverse("staff:message_templates"), reverse("staff:updates"),
        reverse("staff:update_new") + "?received_from=2026-09-01",
        reverse("staff:update", args=[data["update"].pk]), reverse("staff:case"),
        reverse("staff:keyboard"),
        reverse("staff:audit"), reverse("staff:audit") + "?date_from=2026-01-01",
        reverse("staff:team"), reverse("staff:account"), reverse("staff:password_change"),
    ]


def shown_text(html: str) -> str:
    """What a reader sees: no attributes (``<time datetime>``, date inputs' values), scripts
    or text areas' contents. The audit log's details are the stored JSON record, shown as
    code as it was written (and so are its ISO dates)."""
    html = re.sub(r"<(script|style|textarea)\b[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<td class="audit-details">.*?</td>', " ", html, flags=re.S)
    return VERSION.sub(" ", visible_text(html))


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_staff_page_shows_an_iso_date(client, admin, busy_workspace, language):
    staff_language_set(user=admin, language=language)
    client.force_login(admin)
    times, found = 0, {}
    for path in staff_pages(busy_workspace):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert f'<html lang="{language}"' in html, path
        text = shown_text(html)
        if iso := [text[max(m.start() - 60, 0):m.end() + 40] for m in ISO_DATE.finditer(text)]:
            found[path] = iso
        for stamp in re.findall(r'<time datetime="([^"]+)"', html):
            (datetime.date if len(stamp) == 10 else datetime.datetime).fromisoformat(stamp)
            times += 1
    assert found == {}
    assert times > 30  # the walk did meet the dates it is about


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_queue_and_submission_show_the_received_time_in_the_firms_zone(
        client, admin, busy_workspace, language):
    staff_language_set(user=admin, language=language)
    client.force_login(admin)
    stamp = f'<time datetime="2026-12-04T13:05:07-08:00">{SHOWN[language]}</time>'
    shown = busy_workspace["shown"]
    assert stamp in client.get(reverse("staff:queue")).content.decode()
    page = client.get(reverse("staff:submission", args=[shown.reference])).content.decode()
    assert stamp in page
    confirmed = {"en": "Dec 4, 2026", "es": "4 dic 2026"}[language]
    assert f'<time datetime="2026-12-04">{confirmed}</time>' in page


MONTHS = {"en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec"],
          "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov",
                 "dic"]}
MERIDIEM = {"en": ("AM", "PM"), "es": ("a. m.", "p. m.")}


def written(moment: datetime.datetime, language: str) -> str:
    """The audit log's date and time restated by hand, to the second."""
    day = (f"{MONTHS['en'][moment.month - 1]} {moment.day}, {moment.year}" if language == "en"
           else f"{moment.day} {MONTHS['es'][moment.month - 1]} {moment.year}")
    clock = f"{(moment.hour - 1) % 12 + 1}:{moment:%M:%S} {MERIDIEM[language][moment.hour >= 12]}"
    return f"{day}, {clock} {moment.tzname()}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_audit_log_shows_the_second_in_the_firms_zone(client, admin, busy_workspace,
                                                          language):
    staff_language_set(user=admin, language=language)
    client.force_login(admin)
    page = client.get(reverse("staff:audit")).content.decode()
    stamps = re.findall(r'<td><time datetime="([^"]+)">([^<]+)</time></td>', page)
    assert len(stamps) >= 5
    for stamp, text in stamps:
        moment = datetime.datetime.fromisoformat(stamp)
        firm = moment.astimezone(ZoneInfo("America/Los_Angeles"))
        assert moment.utcoffset() == firm.utcoffset()
        assert text == written(firm, language)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Received from: Sep 1, 2026"), ("es", "1 sep 2026"),
])
def test_an_updates_audience_names_its_dates_in_the_readers_format(
        client, admin, busy_workspace, language, expected):
    staff_language_set(user=admin, language=language)
    client.force_login(admin)
    page = client.get(reverse("staff:update", args=[busy_workspace["update"].pk]))
    assert expected in visible_text(page.content.decode())


def test_the_export_keeps_iso_times(client, admin, busy_workspace):
    staff_language_set(user=admin, language="es")
    client.force_login(admin)
    body = b"".join(client.get(reverse("staff:export")).streaming_content).decode()
    assert "2026-12-04T13:05:07-08:00" in body
