"""The public pages in Spanish say what a legal translator signed off (shared/docs/SPANISH.md,
docs/glossary.md): one word for the class, the plaintiff's lawyers named, the $1,000 sentence
conditional, one "I'm not sure" that hints and buttons share, U.S. Spanish, no English left."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from caseapp import eligibility

from .factories import ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS
from .public_pages import REGISTRATION, answer_all, form_token
from .test_views_public_register import fresh_address, fresh_email
from .test_views_public_wording import visible_text

pytestmark = pytest.mark.django_db

NOT_SURE = "No lo sé con seguridad"
COURT_ES = "Tribunal de Distrito de los Estados Unidos para el Distrito Norte de California"
#: Spain's Spanish, calques and slashes the translator asked to remove, as whole words.
NOT_ON_SPANISH_PAGES = [
    r"\bclase\b", r"\bsede\b", r"seguro/a", r"/a\b", "«", "»", r"\bPulse\b", r"\bcostas\b",
    r"\bcomprob", r"\bcompruebe", r"afecta[n]? al?\b", r"Sus abogados", r"retención legal",
    r"Se ha retirado", r"Cítel", r"Menciónel", r"de hasta \d", r"fue compartida",
    r"Cumple los requisitos", r"con derecho a recibirlo", r"formo parte de su dirección",
]


def spanish(client, path: str) -> str:
    return visible_text(client.get(path, HTTP_ACCEPT_LANGUAGE="es").content.decode())


def public_pages_in_spanish(client) -> dict[str, str]:
    pages = {path: spanish(client, path) for path in ("/", "/privacy/")}
    # Each question, in turn, as a person answering "not sure" sees it.
    for key, code in NEEDS_REVIEW_ANSWERS.items():
        pages[key] = spanish(client, f"/check/{key}/")
        assert client.post(f"/check/{key}/", {key: code}).status_code == 302
    assert set(pages) >= {question.key for question in eligibility.QUESTIONS}
    pages["result"] = spanish(client, "/result/")
    pages["register"] = spanish(client, "/register/")
    return pages


def test_no_public_page_uses_the_words_the_translator_struck_out(client, case):
    for path, text in public_pages_in_spanish(client).items():
        for pattern in NOT_ON_SPANISH_PAGES:
            assert not re.search(pattern, text), (path, pattern)


def test_the_class_is_always_the_grupo(client, case):
    pages = public_pages_in_spanish(client)
    assert "grupo propuesto" in pages["/"]
    assert "nadie es miembro del grupo" in pages["/"]  # the shipped status wording
    assert "grupo propuesto" in pages["result"]


def test_the_not_sure_answer_has_one_wording_in_hints_buttons_and_the_result(client, case):
    pages = public_pages_in_spanish(client)
    for key in ("premium", "premium_before_cutoff", "inmail", "inmail_before_cutoff"):
        assert NOT_SURE in pages[key], key
    # The hints name the answer by the button's exact words.
    assert f"responda “{NOT_SURE}”" in pages["inmail"]
    assert f"responder “{NOT_SURE}”" in pages["inmail_before_cutoff"]
    assert f"“{NOT_SURE}”" in pages["result"]
    assert "no lo sé con seguridad" in pages["country"]


def test_the_region_question_asks_where_the_account_was_registered(client, case):
    text = spanish(client, "/check/country/")
    assert "¿dónde estaba registrada su cuenta de LinkedIn?" in text


def test_the_exclusion_question_names_the_executive_team_and_board(client, case):
    answer_all(client, {k: v for k, v in NEEDS_REVIEW_ANSWERS.items() if k != "affiliation"})
    text = spanish(client, "/check/affiliation/")
    assert "equipo directivo o de su junta directiva" in text


def test_the_start_page_names_whose_lawyers_and_keeps_the_money_conditional(client, case):
    text = spanish(client, "/")
    assert "Los abogados del demandante dijeron" in text
    assert "la ley fijaría al menos $1,000 para cada persona con derecho a indemnización" in text
    assert "costos judiciales" in text


def test_the_privacy_page_says_to_withdraw_at_manage_your_registration(client, case):
    html = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    text = visible_text(html)
    assert "retire su registro en “Administrar su registro”" in text
    # The notice at the top, in its 2026 version, gives the page's full address.
    assert "en la página “Administrar su registro” (http://" in text
    assert "/manage/)" in text and 'href="/manage/"' in html
    assert "escribiéndole al bufete" not in text


def test_the_footer_names_the_court_in_spanish(client, case):
    text = spanish(client, "/")
    assert COURT_ES in text
    assert "District Court" not in text


def test_the_court_stays_english_on_english_pages(client, case):
    text = visible_text(client.get("/").content.decode())
    assert "U.S. District Court, Northern District of California" in text
    assert COURT_ES not in text


def test_the_retry_time_is_spanish(settings):
    """Not "después de las 1:05 PM" but "1:05 p. m. PST" (the firm's clock: see
    tests/test_templatetags_local_time.py)."""
    settings.CASEAPP_REGISTRATION_RATE = "1/h"
    client = Client(REMOTE_ADDR=fresh_address(), HTTP_ACCEPT_LANGUAGE="es")
    for _ in range(2):
        answer_all(client, ELIGIBLE_ANSWERS)
        data = {**REGISTRATION, "email": fresh_email(), "form_token": form_token(client)}
        response = client.post("/register/", data)
        client.post("/new-check/")
    assert response.status_code == 429
    text = visible_text(response.content.decode())
    assert re.search(r"a partir de esta hora: \d{1,2}:\d{2} [ap]\. m\. P[SD]T\.", text), text
    assert not re.search(r"\d (AM|PM)\b", text)


#: English function words: none may be left on a Spanish page. Names keep their English
#: ("Data for Generative AI Improvement", the Stored Communications Act), so they are removed
#: before looking.
ENGLISH_WORDS = re.compile(r"\b(the|and|your|you|this|with|of|to|for|is|are|not)\b")
ENGLISH_NAMES = ("Data for Generative AI Improvement", "Stored Communications Act",
                 "De La Torre v. LinkedIn Corp.", "Van Alstyne v. Electronic Scriptorium")


def test_no_english_is_left_on_spanish_public_pages(client, case):
    for path, text in public_pages_in_spanish(client).items():
        for name in ENGLISH_NAMES:
            text = text.replace(name, " ")
        leftover = [text[max(m.start() - 50, 0):m.end() + 50]
                    for m in ENGLISH_WORDS.finditer(text)]
        assert leftover == [], path


def test_the_spanish_confirmation_email_has_no_english_and_the_agreed_terms(case, smtp_server):
    from .factories import make_submission
    from .smtp import run_worker

    make_submission(email="persona@example.org", language="es")
    run_worker()
    [received] = smtp_server.to("persona@example.org")
    text = received.text
    for name in ENGLISH_NAMES:
        text = text.replace(name, " ")
    assert [m.group(0) for m in ENGLISH_WORDS.finditer(text)] == []
    assert "Indique su número de referencia" in text
    assert "nadie es miembro del grupo" in text
    assert "personal del bufete" in text and "equipo del bufete" not in text


def test_the_confirmation_email_states_status_and_note_in_one_paragraph(case, smtp_server):
    """The status line and its note read as one paragraph in the plain-text part: no line of
    the email starts with a space (the included status line once ended in a line break)."""
    from .factories import make_submission
    from .smtp import run_worker

    make_submission(email="persona@example.org")
    run_worker()
    [received] = smtp_server.to("persona@example.org")
    status_line = next(line for line in received.text.splitlines()
                       if line.startswith(case.get_status_display()))
    assert case.status_note.split()[0] in status_line
    assert [line for line in received.text.splitlines() if line.startswith(" ")] == []
