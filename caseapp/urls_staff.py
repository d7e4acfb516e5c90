from django.urls import path

from caseapp.views import staff

app_name = "staff"

urlpatterns = [
    path("", staff.overview, name="overview"),
    path("login/", staff.login, name="login"),
    path("logout/", staff.logout, name="logout"),
    path("two-factor/", staff.otp_verify, name="otp_verify"),
    path("two-factor/setup/", staff.otp_setup, name="otp_setup"),
    path("submissions/", staff.queue, name="queue"),
    path("submissions/export.csv", staff.export, name="export"),
    path("submissions/bulk/", staff.bulk, name="bulk"),
    path("submissions/<str:reference>/", staff.submission_detail, name="submission"),
    path("submissions/<str:reference>/review/", staff.review, name="review"),
    path("submissions/<str:reference>/assign/", staff.assign, name="assign"),
    path("submissions/<str:reference>/notes/", staff.note, name="note"),
    path("submissions/<str:reference>/duplicate/", staff.duplicate, name="duplicate"),
    path("submissions/<str:reference>/erase/", staff.erase, name="erase"),
    path("case/", staff.case_record, name="case"),
    path("audit/", staff.audit, name="audit"),
]
