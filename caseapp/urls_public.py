from django.urls import path

from caseapp.views import public

app_name = "public"

urlpatterns = [
    path("", public.start, name="start"),
    path("check/answers/", public.check_answers, name="check_answers"),
    path("check/<slug:key>/", public.question, name="question"),
    path("result/", public.result, name="result"),
    path("register/", public.register, name="register"),
    path("confirmation/", public.confirmation, name="confirmation"),
    path("privacy/", public.privacy, name="privacy"),
]
