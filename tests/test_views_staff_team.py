"""caseapp.views.staff.team and services.team: a firm runs its own team (issue 20), every
change in the audit log."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from caseapp.models import AuditEvent, SealedTOTPDevice, StaffInvitation
from caseapp.services.team import invitation_token_hash
from tests.staff_pages import sign_in
from tests.staff_users import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-passphrase-for-7"  # noqa: S105


@pytest.fixture
def admin_client(client, case):
    client.force_login(make_staff("ada", "Administrator"))
    return client


def invite(client, username="nina", email="nina@firm.example", role="Reviewer"):
    return client.post("/staff/team/", {"username": username, "email": email, "role": role})


def link_in(message) -> str:
    return re.search(r"https?://\S+(/staff/invitation/[^/\s]+/)", message.body).group(1)


def user(username):
    return get_user_model().objects.get(username=username)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_only_administrators_open_the_team_page(client, case):
    for role, status in (("Reviewer", 403), ("Supervisor", 403), ("Administrator", 200)):
        client.force_login(make_staff(role.lower(), role))
        assert client.get("/staff/team/").status_code == status, role


def test_the_team_page_lists_role_status_second_factor_and_last_sign_in(admin_client):
    rita = make_staff("rita", "Reviewer", email="rita@firm.example")
    SealedTOTPDevice.objects.create(user=rita, name="phone", confirmed=True)
    invite(admin_client)
    html = admin_client.get("/staff/team/").content.decode()
    row = re.search(rf'<tr id="member-{rita.pk}".*?</tr>', html, re.S).group(0)
    assert "rita@firm.example" in row and "Reviewer" in row and "Active" in row
    assert "Set up" in row and "Never" in row
    nina = re.search(rf'<tr id="member-{user("nina").pk}".*?</tr>', html, re.S).group(0)
    assert "Invited" in nina and "Not set up" in nina


def test_an_invitation_is_one_link_for_72_hours_stored_hashed_and_used_once(
        admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(admin_client).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@firm.example"]
    link = link_in(mail.outbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = StaffInvitation.objects.get()
    assert invitation.token_hash == invitation_token_hash(token) != token
    assert token not in str(StaffInvitation.objects.values().get())
    hours = (invitation.expires_at - invitation.created_at) / datetime.timedelta(hours=1)
    assert round(hours) == 72
    nina = user("nina")
    assert not nina.is_active and not nina.has_usable_password()
    # Django's validators apply.
    invitee = Client()
    weak = invitee.post(link, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    response = invitee.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    nina.refresh_from_db()
    assert nina.is_active and nina.check_password(NEW_PASSWORD)
    # Used once: the link is gone, for this browser and any other.
    assert Client().get(link).status_code == 404
    assert Client().post(link, {"new_password1": "x" * 20, "new_password2": "x" * 20}
                         ).status_code == 404
    assert actions()[-2:] == ["staff.invite_accept", "auth.login"]


def test_an_expired_invitation_does_not_work_and_a_new_one_replaces_it(
        admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin_client)
    first = link_in(mail.outbox[0])
    StaffInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert Client().get(first).status_code == 404
    assert "Invitation expired" in admin_client.get("/staff/team/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/staff/team/{user('nina').pk}/resend/")
    second = link_in(mail.outbox[1])
    assert second != first and Client().get(second).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/staff/team/{user('nina').pk}/resend/")
    assert Client().get(second).status_code == 404  # replaced by the third
    assert actions().count("staff.invite_resend") == 2


def test_a_taken_username_or_email_is_refused_with_a_message(admin_client):
    make_staff("rita", "Reviewer", email="rita@firm.example")
    assert "That username is taken" in invite(admin_client, username="RITA").content.decode()
    response = invite(admin_client, email="RITA@firm.example")
    assert "already has that email" in response.content.decode()
    assert not mail.outbox


def test_role_change_deactivate_reactivate_and_reset_are_audited(admin_client):
    rita = make_staff("rita", "Reviewer")
    SealedTOTPDevice.objects.create(user=rita, name="phone", confirmed=True)
    admin_client.post(f"/staff/team/{rita.pk}/role/", {"role": "Supervisor"})
    assert list(rita.groups.values_list("name", flat=True)) == ["Supervisor"]
    admin_client.post(f"/staff/team/{rita.pk}/reset-two-factor/")
    assert not SealedTOTPDevice.objects.filter(user=rita).exists()
    admin_client.post(f"/staff/team/{rita.pk}/deactivate/")
    rita.refresh_from_db()
    assert not rita.is_active
    admin_client.post(f"/staff/team/{rita.pk}/reactivate/")
    events = AuditEvent.objects.filter(target="rita").order_by("id")
    assert [(e.action, e.actor_label) for e in events] == [
        ("staff.role_change", "ada"), ("auth.otp_reset", "ada"),
        ("staff.deactivate", "ada"), ("staff.reactivate", "ada")]
    assert events[0].details == {"from": ["Reviewer"], "to": "Supervisor"}


def test_an_administrator_cannot_deactivate_or_demote_themselves(admin_client):
    me = user("ada")
    admin_client.post(f"/staff/team/{me.pk}/deactivate/")
    admin_client.post(f"/staff/team/{me.pk}/role/", {"role": "Reviewer"})
    me.refresh_from_db()
    assert me.is_active and list(me.groups.values_list("name", flat=True)) == ["Administrator"]
    assert not AuditEvent.objects.filter(action__startswith="staff.").exists()


def test_deactivating_ends_every_session_at_once(admin_client):
    make_staff("rita", "Reviewer")
    laptop, phone = Client(), Client()
    sign_in(laptop, "rita")
    sign_in(phone, "rita")
    assert laptop.get("/staff/submissions/").status_code == 200
    admin_client.post(f"/staff/team/{user('rita').pk}/deactivate/")
    for browser in (laptop, phone):
        assert browser.get("/staff/submissions/")["Location"].startswith("/staff/login/")
    assert sign_in(Client(), "rita").status_code == 200  # refused: inactive
    assert AuditEvent.objects.get(action="staff.deactivate").details == {"sessions_ended": 2}


def test_removing_an_authenticator_anywhere_ends_half_signed_in_sessions(
        case, second_factor, django_capture_on_commit_callbacks):
    """The issue's "lost phone" call: a session past the password step only must not go on
    to enrol a device of its own, whoever removed the device (here: the ORM, as the admin)."""
    from tests.test_views_staff_sign_in import enrolled_device

    device = enrolled_device(make_staff("rita", "Reviewer"))
    thief = Client()
    assert sign_in(thief, "rita")["Location"].startswith("/staff/two-factor/")
    with django_capture_on_commit_callbacks(execute=True):
        device.delete()
    assert thief.get("/staff/two-factor/setup/")["Location"].startswith("/staff/login/")


def test_the_first_sign_in_enrols_then_the_printed_password_is_replaced(client, case,
                                                                       second_factor):
    from io import StringIO

    from django.core.management import call_command

    from tests.test_views_staff_sign_in import current_code, make_backup_codes

    out = StringIO()
    call_command("ensure_admin", stdout=out)
    printed = re.search(r"password: (\S+)", out.getvalue()).group(1)
    assert sign_in(client, "admin", printed)["Location"].startswith("/staff/two-factor/setup/")
    client.get("/staff/two-factor/setup/")
    device = SealedTOTPDevice.objects.get(user__username="admin")
    client.post("/staff/two-factor/setup/", {"token": current_code(device)})
    make_backup_codes(client)
    for page in ("/staff/", "/staff/submissions/export.csv", "/staff/team/"):
        assert client.get(page)["Location"].startswith("/staff/account/password/"), page
    assert "was printed" in client.get("/staff/account/password/").content.decode()
    client.post("/staff/account/password/", {
        "old_password": printed, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.get("/staff/team/").status_code == 200
    assert "auth.password_change" in actions()


def test_password_reset_is_neutral_rate_limited_and_never_signs_in(client, case, settings):
    make_staff("rita", "Reviewer", email="rita@firm.example")
    known = client.post("/staff/password-reset/", {"email": "rita@firm.example"})
    unknown = client.post("/staff/password-reset/", {"email": "nobody@firm.example"})
    assert known["Location"] == unknown["Location"] == "/staff/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+(/staff/password-reset/\S+/\S+/)", mail.outbox[0].body)
    confirm = client.get(link.group(1), follow=True)
    assert confirm.status_code == 200
    done = client.post(confirm.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/staff/password-reset/done/"
    assert "_auth_user_id" not in client.session
    assert user("rita").check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_reset", target="rita").exists()
    # 5 requests an hour per address, whatever the email: two used above, three more sent.
    after = [client.post("/staff/password-reset/", {"email": "rita@firm.example"})["Location"]
             for _ in range(6)]
    assert after == ["/staff/password-reset/sent/"] * 6
    assert len(mail.outbox) == 1 + 3


def test_the_workspace_speaks_the_members_language_never_the_public_cookie(client, case):
    from django.conf import settings

    make_staff("rita", "Reviewer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    login = client.get("/staff/login/")
    assert '<html lang="en">' in login.content.decode()
    sign_in(client, "rita")
    assert '<html lang="en">' in client.get("/staff/").content.decode()
    client.post("/staff/account/", {"language": "es"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="es">' in client.get("/staff/").content.decode()
    assert AuditEvent.objects.get(action="staff.language").details == {"language": "es"}
    # Kept on the account: another browser, with no cookie at all, gets the same.
    other = Client()
    sign_in(other, "rita")
    assert '<html lang="es">' in other.get("/staff/").content.decode()


def test_a_password_change_needs_the_old_one_and_is_audited(client, case):
    make_staff("rita", "Reviewer")
    sign_in(client, "rita")
    wrong = client.post("/staff/account/password/", {
        "old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 200 and not user("rita").check_password(NEW_PASSWORD)
    client.post("/staff/account/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert user("rita").check_password(NEW_PASSWORD)
    assert client.get("/staff/submissions/").status_code == 200  # this session stays
    assert AuditEvent.objects.get(action="auth.password_change").actor_label == "rita"
