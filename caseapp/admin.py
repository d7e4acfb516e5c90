"""Django's admin for superusers: a plain changelist of submissions.

It is also the staff queue's performance peer in ``make bench``. Reviewers work in the staff
workspace, not here."""

from django.contrib import admin

from caseapp.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["reference", "created_at", "state", "outcome", "review_status", "assignee"]
    list_filter = ["outcome", "review_status", "state"]
    search_fields = ["reference", "email_index"]
    # Names, emails and phones are encrypted: the admin shows no personal data at all.
    exclude = ["full_name", "email", "phone"]
    readonly_fields = ["reference", "idempotency_key", "email_index", "name_index",
                       "name_state_index", "created_at", "updated_at"]
    raw_id_fields = ["assignee", "duplicate_of"]

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._superuser(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._superuser(request)

    def has_add_permission(self, request) -> bool:
        return False  # submissions come from the public check only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # erasure and the retention purge are the only ways out
