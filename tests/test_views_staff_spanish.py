"""The staff workspace in Spanish: a staff member whose browser asks for Spanish gets every
page in Spanish, not half of it (issue 18, item 5)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .factories import make_submission
from .test_views_public_wording import visible_text

pytestmark = pytest.mark.django_db

#: English words of the staff pages' own texts; none may be left on a Spanish page. (Data the
#: staff or registrants wrote, and names such as "LinkedIn", are not in this list.)
ENGLISH = re.compile(
    r"\b(Submissions?|Overview|Case record|Case updates|Audit log|Sign out|Queue|Reviewer|"
    r"Assign(ed|ee)?|Accept|Reject|Needs information|Duplicate|Export|Filter|Search|Status|"
    r"Outcome|Received|Save|Send|Write|Message templates?|Keyboard shortcuts|Reference|the|"
    r"and|your|this|with)\b")


def staff_pages() -> list[str]:
    submission = make_submission()
    return [
        reverse("staff:overview"), reverse("staff:queue"), reverse("staff:audit"),
        reverse("staff:case"), reverse("staff:keyboard"), reverse("staff:message_templates"),
        reverse("staff:updates"), reverse("staff:update_new"),
        reverse("staff:submission", args=[submission.reference]),
        reverse("staff:compare", args=[submission.reference]),
        reverse("staff:message", args=[submission.reference]),
    ]


def test_every_staff_page_reads_in_spanish(supervisor_client, supervisor, case):
    from caseapp.models import StaffProfile

    # Staff choose their language on their account (issue 20), never by the browser's.
    StaffProfile.objects.update_or_create(user=supervisor, defaults={"language": "es"})
    case_texts = [case.status_note, case.court, *(
        getattr(case, case.status_text_field(status)) for status in case.Status.values)]
    for path in staff_pages():
        response = supervisor_client.get(path, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 200, path
        page = response.content.decode()
        assert '<html lang="es"' in page, path
        # Form fields carry the case's own English texts as values; only the text shown counts.
        shown = re.sub(r"<textarea[^>]*>.*?</textarea>", " ", page, flags=re.S)
        # The wording a registrant agreed to is quoted in the language they read it in.
        shown = re.sub(r'<span lang="en">“[^<]*”</span>', " ", shown)
        text = visible_text(shown)
        for written in case_texts:  # what staff wrote in English is data, not the page's text
            text = text.replace(written, " ")
        leftover = [text[max(m.start() - 60, 0):m.end() + 60] for m in ENGLISH.finditer(text)]
        assert leftover == [], path


def test_the_overview_gives_the_status_note_in_the_members_language(supervisor_client,
                                                                    supervisor, case):
    from caseapp.models import StaffProfile

    case.status_note, case.status_note_es = "The English note.", "La nota en español."
    case.save()
    StaffProfile.objects.update_or_create(user=supervisor, defaults={"language": "es"})
    page = supervisor_client.get(reverse("staff:overview")).content.decode()
    assert "La nota en español." in page
    assert "The English note." not in page


def test_a_submissions_dates_and_language_read_in_spanish(supervisor_client, supervisor, case):
    from caseapp.models import StaffProfile

    StaffProfile.objects.update_or_create(user=supervisor, defaults={"language": "es"})
    submission = make_submission(language="es")
    page = supervisor_client.get(reverse("staff:submission", args=[submission.reference])
                                 ).content.decode()
    text = visible_text(page)
    # "two years ran to …": the Spanish date order, not "septiembre 18, 2026".
    assert re.search(r"\b\d{1,2} de [a-z]+ de \d{4}\b", text)
    assert not re.search(r"\b(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|"
                         r"octubre|noviembre|diciembre) \d{1,2}, \d{4}\b", text)
    assert "Idioma: Español" in text and "Idioma: es " not in text


def test_the_overview_charts_keep_their_numbers_in_spanish(supervisor_client, supervisor, case):
    from caseapp.models import StaffProfile

    StaffProfile.objects.update_or_create(user=supervisor, defaults={"language": "es"})
    make_submission()
    page = supervisor_client.get(reverse("staff:overview")).content.decode()
    # Spanish writes 51,9: in an SVG attribute that is no number, and no bar is drawn.
    assert 'class="chart-bar' in page
    assert not re.search(r'\b(x|y|width|height|viewBox)="[^"]*\d,\d', page)


def test_the_case_record_names_the_court_in_the_members_language(supervisor_client,
                                                                 supervisor, case):
    from caseapp.models import StaffProfile

    StaffProfile.objects.update_or_create(user=supervisor, defaults={"language": "es"})
    page = supervisor_client.get(reverse("staff:case")).content.decode()
    heading = page.split("<h1")[1].split('class="staff-form"')[0]
    assert case.court_es and case.court_es in heading
    assert case.court not in heading
