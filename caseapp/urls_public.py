"""The public self-check's URLs (namespace ``public``)."""

from django.urls import path

from caseapp.views.public import check, email_links, manage, pages, register

app_name = "public"

urlpatterns = [
    path("", check.start, name="start"),
    path("check/answers/", check.check_answers, name="check_answers"),
    path("check/<slug:key>/", check.question, name="question"),
    path("result/", check.result, name="result"),
    path("register/", register.register, name="register"),
    path("confirmation/", register.confirmation, name="confirmation"),
    path("new-check/", register.new_check, name="new_check"),
    path("privacy/", pages.privacy, name="privacy"),
    path("email/confirm/<str:token>/", email_links.email_confirm, name="email_confirm"),
    path("unsubscribe/<str:token>/", email_links.unsubscribe, name="unsubscribe"),
    path("manage/", manage.manage, name="manage"),
    path("manage/code/", manage.manage_code, name="manage_code"),
    path("manage/details/", manage.manage_details, name="manage_details"),
    path("manage/information/", manage.manage_information, name="manage_information"),
    path("manage/copy/", manage.manage_copy, name="manage_copy"),
    path("manage/copy.json", manage.manage_copy_json, name="manage_copy_json"),
    path("manage/withdraw/", manage.manage_withdraw, name="manage_withdraw"),
    path("manage/sign-out/", manage.manage_sign_out, name="manage_sign_out"),
    path("manage/resend-confirmation/", manage.manage_resend_confirmation,
         name="manage_resend_confirmation"),
]
