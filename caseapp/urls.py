"""The URL map: the public wing at /, the staff wing at /staff/, health and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from caseapp.views import health

urlpatterns = [
    path("", include("caseapp.urls_public")),
    path("staff/", include("caseapp.urls_staff")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
]
# Off in production unless CASEAPP_ADMIN_ENABLED: the staff workspace covers daily work, and
# an admin that is not mounted cannot be attacked.
if settings.CASEAPP_ADMIN_ENABLED:
    urlpatterns.append(path(settings.CASEAPP_ADMIN_PATH, admin.site.urls))

handler400 = "caseapp.views.public.pages.bad_request"
