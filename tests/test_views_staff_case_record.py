"""caseapp.views.staff.case_record: the case record as supervisors edit it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from caseapp.models import AuditEvent, Case
from tests.staff_pages import case_form

pytestmark = pytest.mark.django_db


def test_supervisor_closes_registration_and_the_public_side_sees_it(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:case"), case_form(
        case, registration_open="", registration_closed_message="Intake has ended.",
        registration_closed_message_es="El registro terminó.",
        firm_name="Example LLP", firm_email="intake@example.com",
        sca_reference_date="2024-10-01", status="closed", confirm_status="1"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.registration_open, case.registration_closed_message) == (
        False, "Intake has ended.")
    assert case.sca_reference_date == datetime.date(2024, 10, 1)
    event = AuditEvent.objects.get(action="case.update")
    assert event.details["changed"]["registration_open"] == ["True", "False"]


def test_closing_registration_needs_a_message(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:case"),
                                      case_form(case, registration_open=""))
    assert response.status_code == 200
    assert "Write the message people see while registration is closed." in \
        response.content.decode()


def test_stale_case_record_save_is_refused(supervisor_client, case):
    stale = case_form(case, firm_name="Mine")
    supervisor_client.post(reverse("staff:case"), case_form(case, firm_name="Theirs"))
    response = supervisor_client.post(reverse("staff:case"), stale)
    assert response.status_code == 409
    assert "Someone else saved the case record" in response.content.decode()
    case.refresh_from_db()
    assert case.firm_name == "Theirs"
    assert 'value="Mine"' in response.content.decode()


@pytest.mark.parametrize("status", Case.Status.values)
def test_every_status_needs_its_wording_in_english_and_spanish(supervisor_client, case, status):
    for field in (f"status_text_{status}", f"status_text_{status}_es"):
        response = supervisor_client.post(reverse("staff:case"), case_form(case, **{field: " "}))
        assert response.status_code == 200, field
        assert "Write what the public pages say for this status" in response.content.decode()


def test_supervisor_edits_the_status_wording_and_the_firm(supervisor_client, case, client):
    response = supervisor_client.post(reverse("staff:case"), case_form(
        case, status="active", status_text_active="Active now; no class certified.",
        firm_name="Rivera & Cole LLP", firm_address="1 Market Street", firm_attorney="Dana",
        firm_bar_states="California", advertising_label="", confirm_status="1"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.advertising_label) == ("active", False)
    page = client.get("/").content.decode()
    assert "Active now; no class certified." in page and "Dana" in page
    changed = AuditEvent.objects.get(action="case.update").details["changed"]
    assert {"status", "status_text_active", "firm_attorney", "advertising_label"} <= set(changed)


@pytest.mark.parametrize("field", ["sca_reference_date", "closed_on"])
@pytest.mark.parametrize("value", ["9998-06-01", "9999-12-31", "0001-01-01"])
def test_the_case_record_refuses_a_date_out_of_range(supervisor_client, case, field, value):
    before = case.sca_reference_date
    response = supervisor_client.post(reverse("staff:case"), case_form(case, **{field: value}))
    assert response.status_code == 200
    assert "Enter a date between 1 January 2000 and 31 December 2100" in \
        response.content.decode()
    case.refresh_from_db()
    assert case.sca_reference_date == before and case.closed_on is None


def test_the_case_record_refuses_retention_that_overflows_a_date(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:case"),
                                      case_form(case, purge_after_days="2147483647"))
    assert response.status_code == 200 and "up to 36500" in response.content.decode()


@pytest.mark.parametrize(("field", "english"), [
    ("status_note", "New background for the case."),
    ("registration_closed_message", "Intake has ended."),
])
def test_a_staff_text_without_its_spanish_version_is_refused(supervisor_client, case, field,
                                                             english):
    """Spanish pages would otherwise show the English text (shared/docs/SPANISH.md)."""
    before = Case.objects.get().updated_at
    response = supervisor_client.post(reverse("staff:case"), case_form(
        case, **{field: english, f"{field}_es": "  "}))
    assert response.status_code == 200
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()[f"{field}_es"]] == ["spanish_required"]
    assert "Write this in Spanish too" in response.content.decode()
    assert Case.objects.get().updated_at == before


def test_a_staff_text_with_its_spanish_version_is_shown_to_spanish_readers(supervisor_client,
                                                                            case, client):
    response = supervisor_client.post(reverse("staff:case"), case_form(
        case, status_note="The firm is watching the docket.",
        status_note_es="El bufete sigue el expediente del caso."))
    assert response.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "El bufete sigue el expediente del caso." in page
    assert "The firm is watching the docket." not in page


def test_a_new_status_shows_its_public_wording_in_both_languages_before_it_saves(
        supervisor_client, case):
    case.status_text_refiled, case.status_text_refiled_es = (
        "We have found no refiled case.", "No hemos encontrado un caso nuevo.")
    case.save()
    form = case_form(case, status="refiled")
    asked = supervisor_client.post(reverse("staff:case"), form)
    html = asked.content.decode()
    assert asked.status_code == 200 and 'id="status-preview"' in html
    assert "We have found no refiled case." in html
    assert "No hemos encontrado un caso nuevo." in html
    case.refresh_from_db()
    assert case.status != "refiled"  # nothing saved yet
    written = {**form, "status_text_refiled": "The case was filed again on 2 March.",
               "confirm_status": "1"}
    assert supervisor_client.post(reverse("staff:case"), written).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.status_text("en")) == (
        "refiled", "The case was filed again on 2 March.")


def test_the_status_preview_shows_the_date_and_the_note_that_come_with_it(supervisor_client,
                                                                          case):
    case.status, case.status_changed_on = "dismissed", datetime.date(2025, 1, 30)
    case.status_note, case.status_note_es = "No refiled case was found.", "No se encontró."
    case.save()
    # Only the status changes: the start page would say "Active on January 30, 2025." over a
    # note written for the dismissal. The preview shows both, and says they were kept.
    html = supervisor_client.post(reverse("staff:case"),
                                  case_form(case, status="active")).content.decode()
    preview = html.split('id="status-preview"')[1].split("</section>")[0]
    assert "Active on January 30, 2025." in preview
    assert "No refiled case was found." in preview and "No se encontró." in preview
    assert "The date of the event is still the one of the status before." in preview
    assert "The status note is still the one written for the status before." in preview

    html = supervisor_client.post(reverse("staff:case"), case_form(
        case, status="active", status_changed_on="2026-03-02",
        status_note="The case was filed again.", status_note_es="El caso se presentó de nuevo.",
    )).content.decode()
    preview = html.split('id="status-preview"')[1].split("</section>")[0]
    assert "Active on March 2, 2026." in preview
    assert 'id="status-kept"' not in preview
    assert Case.objects.get().status == "dismissed"  # nothing saved yet
