"""The URL map: the public wing at /, the staff wing at /staff/, health and the admin."""

from django.contrib import admin
from django.urls import include, path

from caseapp.views import health

urlpatterns = [
    path("", include("caseapp.urls_public")),
    path("staff/", include("caseapp.urls_staff")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "caseapp.views.public.pages.bad_request"
