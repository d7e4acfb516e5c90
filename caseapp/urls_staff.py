"""The staff workspace's URLs (namespace ``staff``)."""

from django.urls import path

from caseapp.views.staff import (
    audit,
    case_record,
    duplicates,
    export,
    keyboard,
    messages,
    overview,
    queue,
    saved_views,
    sign_in,
    submission,
    updates,
    work_queue,
)

app_name = "staff"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("login/", sign_in.login, name="login"),
    path("logout/", sign_in.logout, name="logout"),
    path("two-factor/", sign_in.otp_verify, name="otp_verify"),
    path("two-factor/setup/", sign_in.otp_setup, name="otp_setup"),
    path("two-factor/backup-codes/", sign_in.otp_backup_codes, name="otp_backup_codes"),
    path("submissions/", queue.queue, name="queue"),
    path("submissions/export.csv", export.export, name="export"),
    path("submissions/bulk/", queue.bulk, name="bulk"),
    path("submissions/start/", work_queue.start, name="queue_start"),
    path("submissions/claim/", work_queue.claim, name="claim"),
    path("submissions/views/", saved_views.save, name="saved_view_save"),
    path("submissions/views/<int:view_id>/delete/", saved_views.delete,
         name="saved_view_delete"),
    path("submissions/<str:reference>/", submission.submission_detail, name="submission"),
    path("submissions/<str:reference>/review/", submission.review, name="review"),
    path("submissions/<str:reference>/decide/", submission.decide, name="decide"),
    path("submissions/<str:reference>/assign/", submission.assign, name="assign"),
    path("submissions/<str:reference>/notes/", submission.note, name="note"),
    path("submissions/<str:reference>/duplicate/", submission.duplicate, name="duplicate"),
    path("submissions/<str:reference>/duplicates/", duplicates.compare, name="compare"),
    path("submissions/<str:reference>/erase/", submission.erase, name="erase"),
    path("submissions/<str:reference>/message/", messages.message_write, name="message"),
    path("submissions/<str:reference>/messages/<int:message_id>/resend/",
         messages.message_resend_view, name="message_resend"),
    path("messages/templates/", messages.message_templates_edit, name="message_templates"),
    path("updates/", updates.updates, name="updates"),
    path("updates/new/", updates.update_new, name="update_new"),
    path("updates/<int:update_id>/", updates.update_detail, name="update"),
    path("updates/<int:update_id>/actions/", updates.update_action, name="update_action"),
    path("case/", case_record.case_record, name="case"),
    path("keyboard/", keyboard.keyboard, name="keyboard"),
    path("audit/", audit.audit, name="audit"),
]
