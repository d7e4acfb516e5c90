"""The audit log as staff read it."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from caseapp.models import AuditEvent
from caseapp.selectors.lists import created_between

AUDIT_ACTIONS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Failed sign-in"),
    "submission.view": _("Viewed a submission"),
    "submission.search": _("Searched submissions"),
    "submission.export": _("Exported submissions"),
    "submission.review": _("Changed a review"),
    "submission.assign": _("Assigned a submission"),
    "submission.claim": _("Claimed the next submission"),
    "submission.note": _("Added a note"),
    "submission.duplicate": _("Marked a duplicate"),
    "submission.merge": _("Kept one of several duplicates"),
    "submission.compare": _("Compared possible duplicates"),
    "submission.bulk_update": _("Bulk action"),
    "case.update": _("Changed the case record"),
    "submission.erase": _("Deleted a person's data"),
    "retention.purge": _("Retention purge"),
    "field_keys.rotate": _("Rotated the encryption keys"),
    "auth.otp_verified": _("Entered a sign-in code"),
    "auth.otp_failed": _("Wrong sign-in code"),
    "auth.otp_enrolled": _("Set up two-factor sign-in"),
    "auth.otp_backup_codes_made": _("Made two-factor backup codes"),
    "auth.otp_backup_code_used": _("Signed in with a backup code"),
    "auth.otp_reset": _("Two-factor sign-in reset by an administrator"),
    "submission.email_confirmed": _("Registrant confirmed their email"),
    "submission.correct": _("Registrant corrected their details"),
    "submission.copy": _("Registrant took a copy of their data"),
    "submission.unsubscribe": _("Registrant unsubscribed from case updates"),
    "submission.message": _("Sent a message to a registrant"),
    "message.resend": _("Resent a message"),
    "manage.code_requested": _("Registrant asked for a sign-in code"),
    "manage.code_limited": _("Registrant sign-in rate limited"),
    "manage.code_refused": _("Registrant sign-in code refused"),
    "manage.signed_in": _("Registrant signed in"),
    "manage.signed_out": _("Registrant signed out"),
    "submission.correct_limited": _("Registrant's address change rate limited"),
    "submission.confirmation_resend": _("Registrant asked for the confirmation again"),
    "submission.info_request": _("Asked the registrant for information"),
    "submission.bulk_info_request": _("Asked several registrants for information"),
    "submission.info_reminder": _("Reminded the registrant of a request for information"),
    "submission.info_answer": _("Registrant answered a request for information"),
    "info_request_reason.save": _("Saved a reason for requesting information"),
    "case_update.send": _("Sent a case update"),
    "case_update.cancel": _("Cancelled a case update"),
    "case_update.test": _("Sent a test of a case update"),
    "message_template.update": _("Changed a message template"),
    "staff.create": _("Created the first administrator"),
    "staff.invite": _("Invited a colleague"),
    "staff.invite_resend": _("Sent a new invitation"),
    "staff.invite_accept": _("Accepted an invitation"),
    "staff.role_change": _("Changed a colleague's role"),
    "staff.deactivate": _("Deactivated a staff account"),
    "staff.reactivate": _("Reactivated a staff account"),
    "staff.language": _("Chose the workspace's language"),
    "auth.password_change": _("Changed their password"),
    "auth.password_reset": _("Reset a password by email"),
    # Django's admin (caseapp.admin.Audited): accounts, groups and authenticators.
    **{f"admin.{model}_{verb}": label
       for model, name in (("user", _("a staff account")), ("group", _("a group")),
                           ("sealedtotpdevice", _("an authenticator")))
       for verb, label in (("add", format_lazy(_("Admin: added {name}"), name=name)),
                           ("change", format_lazy(_("Admin: changed {name}"), name=name)),
                           ("delete", format_lazy(_("Admin: deleted {name}"), name=name)))},
}


def audit_events(*, filters: Mapping[str, object]) -> QuerySet:
    qs = AuditEvent.objects.select_related("actor")
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor=filters["actor"])
    qs = created_between(qs, filters.get("date_from"), filters.get("date_to"))
    return qs
