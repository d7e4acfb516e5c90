"""Settings for caseapp: every value that differs between machines comes from the environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Local development only: a fixed, obviously insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"  # noqa: S105

# Older secret keys still accepted while a new one rolls out (sessions, the draft cookie).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "caseapp.apps.OTPAdminConfig",  # Django's admin behind the same second factor as /staff/
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",  # only for migration 0012, which moved its devices
    "django_otp.plugins.otp_static",  # backup codes
    "django_tasks",
    "django_tasks_db",
    "caseapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "caseapp.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",  # staff sign-in only
    "caseapp.drafts.DraftMiddleware",  # the public check's sealed cookie
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "caseapp.middleware.StaffSessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "caseapp.middleware.FirmIdentityMiddleware",  # public pages closed until a firm is named
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "caseapp.urls"
WSGI_APPLICATION = "caseapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "caseapp.context_processors.site",
            ],
        },
    },
    {
        # The public pages and the error pages (caseapp/jinja.py says why). Listed second:
        # Django's engine finds the staff templates, and remembers that it has no public ones.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "caseapp.jinja.environment",
            "context_processors": [
                "django.contrib.messages.context_processors.messages",
                "caseapp.jinja.public_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too, as production does, so they can read its raw bytes; one per run,
    # so that two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"caseapp-test-{os.getpid()}.sqlite3")
    }
else:
    # One test database per run here too, so two runs against one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    # A database cache is shared by every worker and server, unlike local memory.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "caseapp_cache"}}

# Staff sessions live in the database: app servers stay stateless, and signing out or an
# administrator revokes one. The public check uses none: see caseapp/drafts.py.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Flash messages in a cookie, so that a public page never creates a session for one.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
# Staff sessions end after 30 idle minutes and 12 hours in all (caseapp.middleware).
CASEAPP_STAFF_IDLE_MINUTES = float(os.environ.get("CASEAPP_STAFF_IDLE_MINUTES", "30"))
CASEAPP_STAFF_SESSION_HOURS = float(os.environ.get("CASEAPP_STAFF_SESSION_HOURS", "12"))
SESSION_COOKIE_AGE = int(CASEAPP_STAFF_SESSION_HOURS * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "caseapp.views.public.pages.csrf_failure"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "caseapp.auth.AccountLockBackend",  # one account guessed from many addresses
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out sign-ins before the password check
    "caseapp.auth.PermissionBackend",  # ModelBackend, in one query
]
# Staff sign-in lockout: 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("CASEAPP_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("CASEAPP_LOGIN_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ... and one account from all addresses together is capped too (caseapp.auth.account_locked).
CASEAPP_LOGIN_ACCOUNT_LIMIT = int(os.environ.get("CASEAPP_LOGIN_ACCOUNT_LIMIT", "20"))
# The client's address behind CASEAPP_TRUSTED_PROXY_COUNT proxies, as the rest of the app sees it.
AXES_CLIENT_IP_CALLABLE = "caseapp.ratelimit.axes_client_ip"
AXES_LOCKOUT_TEMPLATE = "caseapp/staff/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# What axes stores of a sign-in: the username as a keyed hash (caseapp.auth.axes_username), and
# no form field's value (the username box often holds a password typed in the wrong place).
AXES_USERNAME_CALLABLE = "caseapp.auth.axes_username"
AXES_SENSITIVE_PARAMETERS = ["username", "token", "otp_token"]
# Two-factor sign-in (TOTP): optional for every staff member; required for Supervisors (and
# superusers) when this is on.
CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS = env_bool("CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS", False)
OTP_TOTP_ISSUER = "caseapp"
# No page, the admin's included, shows a TOTP seed or a backup code after it was made.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Django's admin: mounted in production only when this is on, at a path of your choosing.
CASEAPP_ADMIN_ENABLED = env_bool("CASEAPP_ADMIN_ENABLED", DEBUG)
CASEAPP_ADMIN_PATH = os.environ.get("CASEAPP_ADMIN_PATH", "admin/").strip("/") + "/"

LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:overview"
LOGOUT_REDIRECT_URL = "staff:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Español"))]
LOCALE_PATHS = [BASE_DIR / "caseapp" / "locale"]
#: The firm's time zone: every staff page and the CSV show times in it, with its offset.
TIME_ZONE = os.environ.get("CASEAPP_FIRM_TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Request bodies: the largest legitimate form is a few KB; refuse the rest early.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

# Content-Security-Policy: only this origin, no inline code; htmx gets a nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie: the token travels in hx-headers.

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Field encryption keys (Fernet, newest first) and the blind-index key. Production must set
# them; locally they come from a git-ignored file made on first use.
FIELD_KEY_FILE = Path(os.environ.get("CASEAPP_FIELD_KEY_FILE", BASE_DIR / ".field_keys"))
FIELD_KEYS = env_list("CASEAPP_FIELD_KEYS")
BLIND_INDEX_KEY = os.environ.get("CASEAPP_BLIND_INDEX_KEY", "")
if not DEBUG and not (FIELD_KEYS and BLIND_INDEX_KEY):
    raise ImproperlyConfigured(
        "CASEAPP_FIELD_KEYS and CASEAPP_BLIND_INDEX_KEY must be set when DJANGO_DEBUG is off. "
        "Generate them with: python manage.py generate_field_keys"
    )

# Abuse limits on the public registration form, per client IP and per email address (token
# buckets shared across workers: caseapp.ratelimit).
CASEAPP_REGISTRATION_RATE = os.environ.get("CASEAPP_REGISTRATION_RATE", "20/h")
CASEAPP_REGISTRATION_EMAIL_RATE = os.environ.get("CASEAPP_REGISTRATION_EMAIL_RATE", "5/h")
#: Seconds between the start of a check and its registration below which a person is unlikely.
CASEAPP_REGISTRATION_MIN_SECONDS = float(os.environ.get("CASEAPP_REGISTRATION_MIN_SECONDS", "1"))
#: Seconds the confirmation page (the reference) stays reachable from the browser that registered.
CASEAPP_CONFIRMATION_MAX_AGE = int(os.environ.get("CASEAPP_CONFIRMATION_MAX_AGE", "1800"))
#: The public pages show a "not open yet" page until the case record names the firm (attorney
#: advertising: CASE_FACTS "Who is speaking"). On in production; read once here, so tests (which
#: pytest-django runs with DEBUG off) follow the environment they were started in.
CASEAPP_FIRM_IDENTITY_REQUIRED = env_bool("CASEAPP_FIRM_IDENTITY_REQUIRED", not DEBUG)
CASEAPP_TRUSTED_PROXY_COUNT = int(os.environ.get("CASEAPP_TRUSTED_PROXY_COUNT", "0"))
# Seconds a public page may show a case record another request in this process read
# (selectors.case_record.PublicCaseCache); 0 reads it on every request.
CASEAPP_PUBLIC_CASE_MAX_AGE = float(os.environ.get("CASEAPP_PUBLIC_CASE_MAX_AGE", "5"))

# Background work (issue 13): tasks are rows in this database, written in the same transaction
# as the change that causes them, and run by `manage.py db_worker` (docs/deploy.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Email, under Django's own setting names. Without EMAIL_HOST, local runs print each message
# on the worker's console; production refuses to start without a server to send through.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if not DEBUG and not EMAIL_HOST:
    raise ImproperlyConfigured(
        "EMAIL_HOST must be set when DJANGO_DEBUG is off: registrants are sent their "
        "confirmation and sign-in codes by email."
    )
EMAIL_BACKEND = (
    "caseapp.email_backend.ReplyRecordingSMTPBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587" if EMAIL_HOST else "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "caseapp@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
#: The absolute address of the public site, for the links in emails (a worker has no request).
CASEAPP_SITE_URL = os.environ.get(
    "CASEAPP_SITE_URL", "http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0]}"
).rstrip("/")
#: Tries per message before it is marked failed, and the first wait between tries (doubling).
CASEAPP_EMAIL_MAX_ATTEMPTS = int(os.environ.get("CASEAPP_EMAIL_MAX_ATTEMPTS", "5"))
CASEAPP_EMAIL_RETRY_SECONDS = float(os.environ.get("CASEAPP_EMAIL_RETRY_SECONDS", "60"))
#: A message claimed longer ago than this by a worker that never finished it is recovered.
CASEAPP_EMAIL_LEASE_SECONDS = float(os.environ.get("CASEAPP_EMAIL_LEASE_SECONDS", "300"))
#: Case updates to many: recipients per batch (one SMTP connection each), lanes sending at
#: once (each a chain of batch tasks; workers share them), and the most messages per second
#: in all (0: as fast as the server takes them).
CASEAPP_UPDATE_BATCH = int(os.environ.get("CASEAPP_UPDATE_BATCH", "100"))
CASEAPP_UPDATE_LANES = int(os.environ.get("CASEAPP_UPDATE_LANES", "2"))
CASEAPP_UPDATE_RATE = float(os.environ.get("CASEAPP_UPDATE_RATE", "0"))
#: How long after registering the confirmation page lets the same browser fix the email.
CASEAPP_EMAIL_FIX_MINUTES = float(os.environ.get("CASEAPP_EMAIL_FIX_MINUTES", "30"))
CASEAPP_EMAIL_FIX_RATE = os.environ.get("CASEAPP_EMAIL_FIX_RATE", "5/h")
#: /manage/ (the registrant's way back): how long an emailed sign-in code works, how long a
#: signed-in visit lasts, wrong codes allowed per code, and sign-in requests allowed per
#: reference-and-address pair and per client IP (never per reference or address alone: a
#: stranger's wrong tries must not lock the real person out).
CASEAPP_MANAGE_CODE_MINUTES = float(os.environ.get("CASEAPP_MANAGE_CODE_MINUTES", "15"))
CASEAPP_MANAGE_SESSION_MINUTES = float(os.environ.get("CASEAPP_MANAGE_SESSION_MINUTES", "30"))
CASEAPP_MANAGE_CODE_TRIES = int(os.environ.get("CASEAPP_MANAGE_CODE_TRIES", "5"))
CASEAPP_MANAGE_RATE_PAIR = os.environ.get("CASEAPP_MANAGE_RATE_PAIR", "5/h")
#: A registrant's address changes, per registration and per new address; and confirmation
#: emails sent again on request, per registration.
CASEAPP_EMAIL_CHANGE_RATE = os.environ.get("CASEAPP_EMAIL_CHANGE_RATE", "5/h")
CASEAPP_CONFIRM_RESEND_RATE = os.environ.get("CASEAPP_CONFIRM_RESEND_RATE", "3/h")
CASEAPP_MANAGE_RATE_IP = os.environ.get("CASEAPP_MANAGE_RATE_IP", "30/h")
#: How often the recurring recovery task runs.
CASEAPP_RECOVER_SECONDS = float(os.environ.get("CASEAPP_RECOVER_SECONDS", "300"))
#: How long the link that confirms an email address works.
CASEAPP_CONFIRM_LINK_DAYS = float(os.environ.get("CASEAPP_CONFIRM_LINK_DAYS", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
