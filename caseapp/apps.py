"""The app's configuration, and the signals it listens to: sign-in audit, case-record cache."""

from django.apps import AppConfig
from django.db import transaction
from django.utils.translation import gettext_lazy as _


def _signed_in(sender, request, user, **kwargs):
    from caseapp.services.audit import audit_record
    from caseapp.services.staff_accounts import second_factor_remember

    audit_record(actor=user, action="auth.login", request=request)
    if request is not None and hasattr(request, "session"):
        second_factor_remember(request, user)


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


def _case_saved(**_signal) -> None:
    from caseapp.selectors.case_record import public_case_cache

    # Now, and again after commit, so that no request caches the old row in between.
    public_case_cache.forget()
    transaction.on_commit(public_case_cache.forget)


def _setting_changed(*, setting, **_signal) -> None:
    if setting == "CASEAPP_PUBLIC_CASE_MAX_AGE":
        from caseapp.selectors.case_record import public_case_cache

        public_case_cache.forget()


class CaseappConfig(AppConfig):
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

        signals.user_logged_in.connect(_signed_in, dispatch_uid="caseapp_audit_login")
        signals.user_logged_out.connect(_signed_out, dispatch_uid="caseapp_audit_logout")
        signals.user_login_failed.connect(_sign_in_failed,
                                          dispatch_uid="caseapp_audit_login_failed")
