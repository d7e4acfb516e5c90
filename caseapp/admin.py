"""Django's admin for superusers, behind the second factor (caseapp.admin_site): a read-only
list of submissions (also the staff queue's performance peer in ``make bench``) and the staff
members' authenticators, which an administrator can remove but never read."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from caseapp.models import SealedTOTPDevice, Submission
from caseapp.services.audit import audit_record

# Every authenticator is a SealedTOTPDevice (migration 0012); django-otp's own model is kept
# only for that migration, and its admin would show and accept plain-text seeds. Backup codes
# are made by their owner and reset with `manage.py staff_two_factor_reset`, not here.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class Audited:
    """Staff accounts, groups and authenticators changed in the admin are in the audit log
    too, as on the team page (issue 20); Django's own admin history is not append-only."""

    def _audit(self, request, obj, verb: str, message="") -> None:
        audit_record(actor=request.user, action=f"admin.{self.model._meta.model_name}_{verb}",
                     target=str(obj)[:100], request=request,
                     details={"change": str(message)[:500]} if message else None)

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "add", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete")
        return super().log_deletions(request, queryset)


for model, model_admin in ((get_user_model(), UserAdmin), (Group, GroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"Audited{model_admin.__name__}", (Audited, model_admin), {}))


class SuperuserOnly:
    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._superuser(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["reference", "created_at", "state", "outcome", "review_status", "assignee"]
    list_filter = ["outcome", "review_status", "state"]
    search_fields = ["reference", "email_index"]
    # Names, emails and phones are encrypted: the admin shows no personal data at all.
    exclude = ["full_name", "email", "phone", "override_reason"]
    raw_id_fields = ["assignee", "duplicate_of"]
    # Read-only: reviews happen in the staff workspace, which audits them; values typed here
    # (a language, a rules version) would reach the export unchecked.

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # erasure and the retention purge are the only ways out


@admin.register(SealedTOTPDevice)
class SealedTOTPDeviceAdmin(Audited, SuperuserOnly, admin.ModelAdmin):
    """Removing a lost authenticator is a recovery path (docs/deploy.md), and ends every
    session of its user (caseapp.apps); the seed is neither shown nor editable."""

    list_display = ["user", "name", "confirmed", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    search_fields = ["user__username"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._superuser(request)
