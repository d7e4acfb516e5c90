"""The registrant's way back: the emailed confirmation link."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import signing

from caseapp.models import AuditEvent, ReviewEvent, Submission
from caseapp.services.email import links
from tests.factories import make_submission

pytestmark = pytest.mark.django_db


def confirm_path(submission) -> str:
    return f"/email/confirm/{links.confirm_token(submission=submission)}/"


def test_opening_the_link_asks_for_a_press_and_confirms_nothing_yet(client, case):
    submission = make_submission()
    response = client.get(confirm_path(submission))
    assert response.status_code == 200
    assert b"Confirm my email address" in response.content
    assert response["Referrer-Policy"] == "no-referrer"
    submission.refresh_from_db()
    assert submission.email_confirmed_at is None


def test_pressing_the_button_confirms_once_and_records_it(client, case):
    submission = make_submission()
    path = confirm_path(submission)

    response = client.post(path)
    assert b"Your email address is confirmed" in response.content
    submission.refresh_from_db()
    first = submission.email_confirmed_at
    assert first is not None
    assert ReviewEvent.objects.filter(submission=submission, kind="email_confirmed").count() == 1
    assert AuditEvent.objects.filter(action="submission.email_confirmed",
                                     target=submission.reference).count() == 1

    again = client.post(path)
    assert b"Your email address is confirmed" in again.content
    submission.refresh_from_db()
    assert submission.email_confirmed_at == first
    assert ReviewEvent.objects.filter(submission=submission, kind="email_confirmed").count() == 1


def test_an_expired_link_confirms_nothing(client, case, settings):
    submission = make_submission()
    path = confirm_path(submission)
    settings.CASEAPP_CONFIRM_LINK_DAYS = -1
    response = client.post(path)
    assert response.status_code == 404
    assert b"This link has expired or is not valid" in response.content
    submission.refresh_from_db()
    assert submission.email_confirmed_at is None


def test_a_link_for_an_address_since_changed_confirms_nothing(client, case):
    submission = make_submission(email="old@example.org")
    path = confirm_path(submission)
    Submission.objects.filter(pk=submission.pk).update(email_index="changed-index-value")
    assert client.post(path).status_code == 404
    submission.refresh_from_db()
    assert submission.email_confirmed_at is None


@pytest.mark.parametrize("token", [
    "nonsense",
    signing.dumps([1, "x" * 12], salt="another-salt"),
    signing.dumps(["1", "x" * 12], salt=links.CONFIRM_SALT),
])
def test_a_forged_or_malformed_token_is_refused(client, case, token):
    assert client.post(f"/email/confirm/{token}/").status_code == 404


def test_an_erased_registration_cannot_be_confirmed(client, case):
    submission = make_submission()
    path = confirm_path(submission)
    Submission.objects.filter(pk=submission.pk).update(
        personal_data_erased_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    assert client.post(path).status_code == 404


def test_the_emailed_link_is_the_one_that_works(client, case, smtp_server):
    from tests.smtp import run_worker

    submission = make_submission(email="link@example.org")
    run_worker()
    [received] = smtp_server.to("link@example.org")
    path = re.search(r"http://[^/]+(/email/confirm/[^/\s]+/)", received.text).group(1)
    client.post(path)
    submission.refresh_from_db()
    assert submission.email_confirmed_at is not None


# --- the confirmation page --------------------------------------------------------------------

def register_in(client, **details) -> Submission:
    from tests.factories import ELIGIBLE_ANSWERS
    from tests.public_pages import REGISTRATION, answer_all, form_token

    answer_all(client, ELIGIBLE_ANSWERS)
    response = client.post("/register/", {**REGISTRATION, **details,
                                          "form_token": form_token(client)})
    assert response["Location"] == "/confirmation/"
    return Submission.objects.order_by("-id").first()


def test_the_confirmation_page_shows_the_full_address_and_is_never_stored(client, case):
    submission = register_in(client, email="jane.doe@example.org", phone="+1 415 555 0142")
    response = client.get("/confirmation/")
    html = response.content.decode()
    assert submission.reference in html
    assert "Ana María O&#39;Brien" in html or "Ana María O'Brien" in html
    # The person just typed it: a typo must show (issue 21), so the page is no-store.
    assert "We have sent a confirmation email to jane.doe@example.org" in html
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "•••• 42" in html and "555 0142" not in html
    assert "California" in html
    assert "We have not sent you an email" not in html
    assert "Made a mistake in your email address?" in html


def test_the_registrant_can_fix_a_typo_in_the_email_in_the_same_browser(client, case,
                                                                         smtp_server):
    from tests.smtp import run_worker

    submission = register_in(client, email="jane@exmaple.org")
    old_index = submission.email_index
    run_worker()  # the first confirmation goes out to the mistyped address
    response = client.post("/confirmation/", {"email": "jane@example.org"})
    assert response["Location"] == "/confirmation/"
    html = client.get("/confirmation/").content.decode()
    assert "Your email address is changed" in html
    assert "jane@example.org" in html

    submission.refresh_from_db()
    assert submission.email == "jane@example.org"
    assert submission.email_index != old_index
    event = ReviewEvent.objects.get(submission=submission, kind="registrant")
    assert (event.from_value, event.to_value) == ("confirmation page", "corrected email")
    audit = AuditEvent.objects.get(action="submission.correct")
    assert audit.details == {"fields": ["email"], "source": "confirmation page"}

    run_worker()
    # The mistyped address had its confirmation, then is told of the change (issue 21).
    old = smtp_server.to("jane@exmaple.org")
    assert [m.message["Subject"] for m in old][-1] == (
        f"The email address for registration {submission.reference} was changed")
    assert len(old) == 2
    assert len(smtp_server.to("jane@example.org")) == 1


def test_the_old_confirmation_link_stops_working_after_the_fix(client, case):
    submission = register_in(client, email="typo@exmaple.org")
    old_link = confirm_path(submission)
    client.post("/confirmation/", {"email": "typo@example.org"})
    assert client.post(old_link).status_code == 404


def test_a_fixed_address_is_checked_for_duplicates(client, case):
    other = make_submission(email="shared@example.org")
    submission = register_in(client, email="shraed@example.org")
    assert not Submission.objects.get(pk=other.pk).possible_duplicate
    client.post("/confirmation/", {"email": "shared@example.org"})
    submission.refresh_from_db()
    other.refresh_from_db()
    assert submission.possible_duplicate and other.possible_duplicate


def test_an_invalid_correction_shows_the_error_and_changes_nothing(client, case):
    submission = register_in(client, email="keep@example.org")
    response = client.post("/confirmation/", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()
    submission.refresh_from_db()
    assert submission.email == "keep@example.org"


def test_after_the_window_the_email_can_no_longer_be_fixed_here(client, case, settings):
    submission = register_in(client, email="late@example.org")
    settings.CASEAPP_EMAIL_FIX_MINUTES = 0
    assert "Made a mistake" not in client.get("/confirmation/").content.decode()
    client.post("/confirmation/", {"email": "other@example.org"})
    submission.refresh_from_db()
    assert submission.email == "late@example.org"


def test_another_browser_cannot_fix_the_email(client, case):
    from django.test import Client

    submission = register_in(client, email="mine@example.org")
    stranger = Client()
    assert stranger.post("/confirmation/", {"email": "theirs@example.org"})["Location"] == "/"
    submission.refresh_from_db()
    assert submission.email == "mine@example.org"


def test_fixing_the_email_is_rate_limited(client, case, settings):
    settings.CASEAPP_EMAIL_FIX_RATE = "2/h"
    submission = register_in(client, email="a0@example.org")
    for n in range(1, 4):
        client.post("/confirmation/", {"email": f"a{n}@example.org"})
    submission.refresh_from_db()
    assert submission.email == "a2@example.org"


def test_a_confirmation_not_yet_sent_when_the_address_is_fixed_is_cancelled(client, case,
                                                                            smtp_server):
    from caseapp.models import Message
    from tests.smtp import run_worker

    submission = register_in(client, email="quick@exmaple.org")
    client.post("/confirmation/", {"email": "quick@example.org"})
    run_worker()
    # The old address is told of the change; the new one gets the confirmation.
    assert sorted(m.envelope_to for m in smtp_server.messages) == [
        ["quick@example.org"], ["quick@exmaple.org"]]
    assert list(Message.objects.filter(submission=submission).values_list("kind", "status")
                .order_by("id")) == [("confirmation", "cancelled"), ("email_changed", "sent"),
                                     ("confirmation", "sent")]


def test_the_confirmation_page_and_the_confirm_link_speak_spanish(client, case):
    submission = register_in(client, email="maria@example.org")
    html = client.get("/confirmation/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Le enviamos un correo de confirmación a maria@example.org" in html
    assert "¿Se equivocó al escribir su correo electrónico?" in html
    page = client.get(confirm_path(submission), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Confirmar mi dirección de correo electrónico" in page


# --- /manage/ ---------------------------------------------------------------------------------

NEUTRAL = "That code is not right, has expired or was already used."


def ask_for_code(client, reference, email, **extra):
    return client.post("/manage/", {"reference": reference, "email": email}, **extra)


def emailed_code(smtp_server, address) -> str:
    from tests.smtp import run_worker

    run_worker()
    # The newest sign-in code (the confirmation may be delivered before or after it).
    codes = [m for m in smtp_server.to(address) if m.message["Subject"] == "Your sign-in code"]
    received = codes[-1]
    return re.search(r"^[ ]+(\d{6})\s*$", received.text, re.M).group(1)


def signed_in(client, smtp_server, submission):
    address = Submission.objects.get(pk=submission.pk).email
    assert ask_for_code(client, submission.reference, address)["Location"] == "/manage/code/"
    code = emailed_code(smtp_server, address)
    response = client.post("/manage/code/", {"code": code})
    assert response["Location"] == "/manage/", response.content[:500]
    return client


def test_the_sign_in_form_asks_for_reference_and_email(client, case):
    html = client.get("/manage/").content.decode()
    assert 'name="reference"' in html and 'name="email"' in html


def test_a_matching_reference_and_email_get_a_code_and_sign_in(client, case, smtp_server):
    submission = make_submission(email="me@example.org")
    response = ask_for_code(client, submission.reference.lower().replace("-", " "),
                            " ME@example.org ")
    assert response["Location"] == "/manage/code/"
    page = client.get("/manage/code/").content.decode()
    assert 'name="code"' in page
    code = emailed_code(smtp_server, "me@example.org")
    assert client.post("/manage/code/", {"code": code})["Location"] == "/manage/"
    home = client.get("/manage/")
    html = home.content.decode()
    assert submission.reference in html
    assert "Received" in html and "Nobody has reviewed it yet" in html
    assert "no-store" in home["Cache-Control"] and "private" in home["Cache-Control"]
    assert AuditEvent.objects.filter(action="manage.signed_in",
                                     target=submission.reference).exists()


def test_the_code_is_kept_only_as_a_hash(client, case, smtp_server):
    from django_tasks_db.models import DBTaskResult

    from caseapp.models import AccessCode

    submission = make_submission(email="hash@example.org")
    ask_for_code(client, submission.reference, "hash@example.org")
    code = emailed_code(smtp_server, "hash@example.org")
    access = AccessCode.objects.get()
    assert code not in access.code_hash and code not in access.challenge_hash
    assert len(access.code_hash) == 32
    for task in DBTaskResult.objects.all():
        assert code not in str(task.args_kwargs) and code not in str(task.return_value)


@pytest.mark.parametrize("case_name", ["wrong reference", "wrong email", "erased"])
def test_a_failed_match_looks_exactly_like_a_match_and_sends_nothing(client, case, smtp_server,
                                                                    case_name):
    from tests.smtp import run_worker

    submission = make_submission(email="real@example.org")
    run_worker()
    smtp_server.messages.clear()
    reference, email = submission.reference, "real@example.org"
    if case_name == "wrong reference":
        reference = "LI-2345-6789"
    elif case_name == "wrong email":
        email = "someone.else@example.org"
    else:
        Submission.objects.filter(pk=submission.pk).update(
            personal_data_erased_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    response = ask_for_code(client, reference, email)
    assert response["Location"] == "/manage/code/"
    page = client.get("/manage/code/").content.decode()
    assert "If the reference number and email address match a registration" in page
    run_worker()
    assert not smtp_server.messages
    refused = client.post("/manage/code/", {"code": "123456"}).content.decode()
    assert NEUTRAL in refused


def test_a_wrong_code_gets_the_neutral_message(client, case, smtp_server):
    submission = make_submission(email="w@example.org")
    ask_for_code(client, submission.reference, "w@example.org")
    code = emailed_code(smtp_server, "w@example.org")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert NEUTRAL in client.post("/manage/code/", {"code": wrong}).content.decode()
    assert "Your registration" not in client.get("/manage/").content.decode()


def test_an_expired_code_gets_the_neutral_message(client, case, smtp_server):
    from caseapp.models import AccessCode

    submission = make_submission(email="x@example.org")
    ask_for_code(client, submission.reference, "x@example.org")
    code = emailed_code(smtp_server, "x@example.org")
    AccessCode.objects.update(expires_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    assert NEUTRAL in client.post("/manage/code/", {"code": code}).content.decode()
    assert AuditEvent.objects.filter(action="manage.code_refused",
                                     details__reason="expired").exists()


def test_a_code_works_once(client, case, smtp_server):
    from django.test import Client

    submission = make_submission(email="once@example.org")
    ask_for_code(client, submission.reference, "once@example.org")
    code = emailed_code(smtp_server, "once@example.org")
    cookie = client.cookies["caseapp_check"].value
    assert client.post("/manage/code/", {"code": code})["Location"] == "/manage/"
    replay = Client()
    replay.cookies["caseapp_check"] = cookie  # the browser state from before the code was used
    assert NEUTRAL in replay.post("/manage/code/", {"code": code}).content.decode()


def test_a_code_stops_working_after_too_many_wrong_tries(client, case, smtp_server, settings):
    settings.CASEAPP_MANAGE_CODE_TRIES = 3
    submission = make_submission(email="tries@example.org")
    ask_for_code(client, submission.reference, "tries@example.org")
    code = emailed_code(smtp_server, "tries@example.org")
    for _try in range(3):
        client.post("/manage/code/", {"code": "000000" if code != "000000" else "111111"})
    page = client.post("/manage/code/", {"code": code}).content.decode()
    assert "Too many wrong codes" in page
    assert "Your registration" not in client.get("/manage/").content.decode()
    # Asking for a new code finds the form filled in (issue 21: it used to be emptied).
    form = client.get("/manage/").content.decode()
    assert f'value="{submission.reference}"' in form and 'value="tries@example.org"' in form


def test_asking_for_codes_is_rate_limited_per_reference_and_address_pair(client, case,
                                                                         settings):
    from django.test import Client

    settings.CASEAPP_MANAGE_RATE_PAIR = "2/h"
    submission = make_submission(email="r@example.org")
    for n in range(2):
        assert ask_for_code(Client(REMOTE_ADDR=f"10.0.0.{n}"), submission.reference,
                            "R@example.org").status_code == 302
    refused = ask_for_code(Client(REMOTE_ADDR="10.0.0.9"), submission.reference,
                           "r@example.org ")
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()
    assert AuditEvent.objects.filter(action="manage.code_limited").count() == 1


@pytest.mark.parametrize("stranger_uses", ["the reference", "the address"])
def test_strangers_wrong_tries_do_not_block_the_right_pair(client, case, settings, smtp_server,
                                                           stranger_uses):
    from django.test import Client

    settings.CASEAPP_MANAGE_RATE_PAIR = "2/h"
    submission = make_submission(email="owner@example.org")
    for n in range(6):
        reference = submission.reference if stranger_uses == "the reference" \
            else f"LI-2345-678{n}"
        email = f"guess{n}@example.org" if stranger_uses == "the reference" \
            else "owner@example.org"
        ask_for_code(Client(REMOTE_ADDR=f"10.0.2.{n}"), reference, email)
    response = ask_for_code(client, submission.reference, "owner@example.org")
    assert response.status_code == 302
    assert emailed_code(smtp_server, "owner@example.org")


def test_the_signed_in_pages_need_a_sign_in(client, case):
    for path in ("/manage/details/", "/manage/copy/", "/manage/copy.json", "/manage/withdraw/"):
        assert client.get(path)["Location"] == "/manage/", path
    assert client.get("/manage/code/")["Location"] == "/manage/"


def test_a_signed_in_visit_ends_after_its_time(client, case, smtp_server, settings):
    submission = make_submission(email="t@example.org")
    signed_in(client, smtp_server, submission)
    settings.CASEAPP_MANAGE_SESSION_MINUTES = 0
    assert client.get("/manage/copy/")["Location"] == "/manage/"


@pytest.mark.parametrize(("status", "words"), [
    ("new", "Received"), ("in_review", "Being reviewed"),
    ("needs_info", "We need more information"), ("accepted", "Accepted"),
    ("rejected", "Not accepted"),
])
def test_the_status_is_in_plain_words(client, case, smtp_server, status, words):
    submission = make_submission(email="s@example.org")
    Submission.objects.filter(pk=submission.pk).update(review_status=status)
    signed_in(client, smtp_server, submission)
    assert f'data-status="{status}">{words}<' in client.get("/manage/").content.decode()


def test_correcting_details_updates_the_indexes_and_confirms_the_new_address(
        client, case, smtp_server):
    from caseapp import crypto

    submission = make_submission(email="before@example.org", full_name="Before Name")
    signed_in(client, smtp_server, submission)
    form = client.get("/manage/details/").content.decode()
    assert 'value="before@example.org"' in form
    response = client.post("/manage/details/", {
        "full_name": "After Name", "email": "after@example.org", "phone": "", "state": "NY"})
    assert response["Location"] == "/manage/"
    submission.refresh_from_db()
    assert (submission.full_name, submission.email, submission.state) == (
        "After Name", "after@example.org", "NY")
    assert submission.email_index == crypto.blind_index("after@example.org")
    assert submission.name_index == crypto.blind_index("after name")
    assert submission.email_confirmed_at is None
    event = ReviewEvent.objects.get(submission=submission, kind="registrant")
    assert event.to_value == "corrected full_name, email, state"
    # Staff search by a word of the name finds the new name only.
    from caseapp.models import SubmissionNameToken

    tokens = set(SubmissionNameToken.objects.filter(submission=submission)
                 .values_list("token_index", flat=True))
    assert tokens == {crypto.name_token_index("after"), crypto.name_token_index("name")}
    from tests.smtp import run_worker

    run_worker()
    assert smtp_server.to("after@example.org")[-1].message["Subject"].startswith(
        "Your registration")


def test_the_copy_shows_everything_held_and_downloads_as_json(client, case, smtp_server):
    submission = make_submission(email="copy@example.org", full_name="Copy Person",
                                 phone="415 555 0100")
    signed_in(client, smtp_server, submission)
    page = client.get("/manage/copy/")
    html = page.content.decode()
    for text in ("Copy Person", "copy@example.org", "415 555 0100", submission.reference,
                 "Registration confirmation", "Sign-in code"):
        assert text in html, text
    download = client.get("/manage/copy.json")
    assert download["Content-Type"] == "application/json"
    assert "attachment" in download["Content-Disposition"]
    data = download.json()
    assert data["reference"] == submission.reference
    assert data["contact"]["email"] == "copy@example.org"
    assert {a["code"] for a in data["answers"]} >= {"US", "yes"}
    assert ReviewEvent.objects.filter(submission=submission, kind="registrant",
                                      to_value__startswith="downloaded").count() == 2
    assert AuditEvent.objects.filter(action="submission.copy").count() == 2


def test_withdrawing_erases_the_personal_data_and_says_so(client, case, smtp_server):
    from caseapp.models import AccessCode, Message

    submission = make_submission(email="bye@example.org", full_name="Bye Person")
    signed_in(client, smtp_server, submission)
    assert "This cannot be undone" in client.get("/manage/withdraw/").content.decode()
    html = client.post("/manage/withdraw/").content.decode()
    assert "You have withdrawn" in html and submission.reference in html
    submission.refresh_from_db()
    assert submission.personal_data_erased_at is not None
    assert (submission.full_name, submission.email, submission.phone) == ("", "", "")
    assert (submission.email_index, submission.name_index) == ("", "")
    assert not AccessCode.objects.filter(submission=submission).exists()
    assert not Message.objects.filter(submission=submission).exclude(body="").exists()
    assert ReviewEvent.objects.filter(submission=submission, to_value="withdrew").exists()
    assert AuditEvent.objects.filter(action="submission.erase",
                                     target=submission.reference).exists()
    assert client.get("/manage/")["Content-Type"].startswith("text/html")
    assert submission.reference not in client.get("/manage/").content.decode()


def test_manage_speaks_spanish(client, case, smtp_server):
    submission = make_submission(email="es@example.org", language="es")
    html = client.get("/manage/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Administrar su registro" in html
    ask_for_code(client, submission.reference, "es@example.org")
    from tests.smtp import run_worker

    run_worker()
    assert smtp_server.to("es@example.org")[-1].message["Subject"] == "Su código para entrar"


def test_signed_in_pages_say_the_status_and_the_copy_in_spanish(client, case, smtp_server):
    submission = make_submission(email="es2@example.org", language="es")
    address = Submission.objects.get(pk=submission.pk).email
    ask_for_code(client, submission.reference, address, HTTP_ACCEPT_LANGUAGE="es")
    from tests.smtp import run_worker

    run_worker()
    code = re.search(r"^[ ]+(\d{6})\s*$", smtp_server.to(address)[-1].text, re.M).group(1)
    client.post("/manage/code/", {"code": code}, HTTP_ACCEPT_LANGUAGE="es")
    home = client.get("/manage/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'data-status="new">Recibido<' in home and "Received" not in home
    copy = client.get("/manage/copy/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Fecha de registro" in copy and "Estado de su registro" in copy
    assert "Español" in copy and ">es<" not in copy
    # Dates and times in Spanish and the firm's zone, not "2026-12-04 18:15 UTC".
    assert "UTC" not in copy
    assert re.search(r"\d{1,2} de [a-z]+ de \d{4}, \d{1,2}:\d{2} [ap]\. m\. P[SD]T", copy)
