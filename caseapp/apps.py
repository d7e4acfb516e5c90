"""The app's configuration, and the signals it listens to: sign-in audit, case-record cache."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db import transaction
from django.utils.translation import gettext_lazy as _


def _signed_in(sender, request, user, **kwargs):
    from caseapp.services.audit import audit_record

    audit_record(actor=user, action="auth.login", request=request)
    attempt = getattr(request, "sign_in_attempt", None)
    if attempt is not None:
        from caseapp.services.sign_in_limits import sign_in_attempt_succeeded

        sign_in_attempt_succeeded(attempt=attempt)
    if request is not None and hasattr(request, "session"):
        from caseapp.middleware import staff_session_started

        staff_session_started(request)


def _signed_out(sender, request, user, **kwargs):
    from caseapp.services.audit import audit_record

    audit_record(actor=user, action="auth.logout", request=request)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    from caseapp.services.audit import audit_record

    # Only a known account is named: a mistyped username can be someone's password.
    User = get_user_model()
    username = credentials.get("username") or ""
    known = User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    audit_record(
        actor=None, action="auth.login_failed", request=request,
        target=known.get_username() if known is not None else "",
        details={"account": "known" if known is not None else "unknown"},
    )


def _groups_changed(sender, instance, action, reverse, pk_set, **_signal) -> None:
    """A user's groups changed: end their sign-ins, so what they may do and whether they need
    a second factor start again from a fresh sign-in."""
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    from caseapp.services.staff_accounts import staff_sessions_end

    if reverse:  # group.user_set.add(...): pk_set holds users; on clear, read them first
        user_ids = pk_set if pk_set is not None else set(
            instance.user_set.values_list("pk", flat=True))
    else:
        user_ids = {instance.pk}
    if user_ids:
        transaction.on_commit(lambda: staff_sessions_end(user_ids=set(user_ids)))


def _device_removed(sender, instance, **_signal) -> None:
    """An authenticator or a set of backup codes removed anywhere (the team page, the admin,
    a command, the shell): every session of its user ends, half-signed-in ones too, so that
    a session that passed only the password cannot enrol a device of its own."""
    from caseapp.services.staff_accounts import staff_sessions_end

    user_id = instance.user_id
    transaction.on_commit(lambda: staff_sessions_end(user_ids={user_id}))


def _case_saved(**_signal) -> None:
    from caseapp.selectors.case_record import public_case_cache

    # Now, and again after commit, so that no request caches the old row in between.
    public_case_cache.forget()
    transaction.on_commit(public_case_cache.forget)


def _setting_changed(*, setting, **_signal) -> None:
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "FIELD_KEYS", "BLIND_INDEX_KEY"}:
        from caseapp import crypto

        crypto.reset_key_cache()
    if setting == "CASEAPP_PUBLIC_CASE_MAX_AGE":
        from caseapp.selectors.case_record import public_case_cache

        public_case_cache.forget()


class OTPAdminConfig(admin_apps.AdminConfig):
    """Django's admin as django-otp's site (caseapp.admin_site): a password alone opens no
    admin page."""

    default = False
    default_site = "caseapp.admin_site.CaseappAdminSite"


class CaseappConfig(AppConfig):
    default = True
    name = "caseapp"
    verbose_name = _("Class action intake")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import signals
        from django.core.signals import setting_changed
        from django.db.models.signals import post_save

        # A case saved in this process shows on its public pages at once; other processes
        # within settings.CASEAPP_PUBLIC_CASE_MAX_AGE (selectors.case_record.PublicCaseCache).
        post_save.connect(_case_saved, sender="caseapp.Case",
                          dispatch_uid="caseapp_forget_public_case")
        setting_changed.connect(_setting_changed, dispatch_uid="caseapp_public_case_setting")

        # A password change needs nothing here: Django refuses every session whose stored
        # password hash is stale (SESSION_HASH), and keeps the one that made the change.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        m2m_changed.connect(_groups_changed, sender=get_user_model().groups.through,
                            dispatch_uid="caseapp_groups_end_sessions")
        from django.db.models.signals import post_delete

        for device in ("caseapp.SealedTOTPDevice", "otp_static.StaticDevice"):
            post_delete.connect(_device_removed, sender=device,
                                dispatch_uid=f"caseapp_device_removed_{device}")
        signals.user_logged_in.connect(_signed_in, dispatch_uid="caseapp_audit_login")
        signals.user_logged_out.connect(_signed_out, dispatch_uid="caseapp_audit_logout")
        signals.user_login_failed.connect(_sign_in_failed,
                                          dispatch_uid="caseapp_audit_login_failed")

