"""The public self-check's URLs (namespace ``public``)."""

from django.urls import path

from caseapp.views.public import check, pages, register

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
]
