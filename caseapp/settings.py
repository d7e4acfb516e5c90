"""Settings for caseapp: every value that differs between machines comes from the environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from caseapp.env import (
    GENERATE_FIELD_KEYS,
    GENERATE_SECRET_KEY,
    env_bool,
    env_debug,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
    field_keys_check,
    production_refusal,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Development mode only when asked for (DJANGO_DEBUG=1, as make run, make demo and the tests
# set it): a forgotten variable in production must stop the start, never fall back to a
# development default. Each requirement below appends to _MISSING; all are reported at once.
DEBUG = env_debug("DJANGO_DEBUG")
_MISSING: list[tuple[str, str]] = []

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY and DEBUG:
    # Development only: a fixed, obviously insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"  # noqa: S105
elif not SECRET_KEY:
    _MISSING.append(("DJANGO_SECRET_KEY", "signs sessions, CSRF tokens and the draft cookie. "
                     + GENERATE_SECRET_KEY))
# Older secret keys still accepted while a new one rolls out (sessions, the draft cookie).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS:
    _MISSING.append(("DJANGO_ALLOWED_HOSTS", "the public host name(s) the app answers to, "
                     "comma-separated, e.g. check.example.com"))
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- caseapp's own settings: every CASEAPP_* variable, read and typed here alone -------------
# docs/deploy.md gives each one's default and when to change it.

#: Field encryption keys (Fernet format, newest first) and the blind-index key (never rotated).
FIELD_KEYS = env_list("CASEAPP_FIELD_KEYS")
BLIND_INDEX_KEY = env_secret("CASEAPP_BLIND_INDEX_KEY")
#: Development only: a git-ignored file the keys are read from (made on first use) when the two
#: variables above are unset; make run sets it. Ignored outside DEBUG, where keys never touch disk.
FIELD_KEY_FILE = (Path(env_str("CASEAPP_FIELD_KEY_FILE")).resolve()
                  if DEBUG and env_str("CASEAPP_FIELD_KEY_FILE") else None)
field_keys_check("CASEAPP_FIELD_KEYS", FIELD_KEYS)
if not DEBUG and not FIELD_KEYS:
    _MISSING.append(("CASEAPP_FIELD_KEYS", "the keys that seal personal data at rest, newest "
                     "first, comma-separated. " + GENERATE_FIELD_KEYS))
if not DEBUG and not BLIND_INDEX_KEY:
    _MISSING.append(("CASEAPP_BLIND_INDEX_KEY", "the key of the indexes that find people by "
                     "email or name; never changes once data exists. " + GENERATE_FIELD_KEYS))

#: The absolute address of the public site, for the links in emails (a worker has no request).
CASEAPP_SITE_URL = env_str(
    "CASEAPP_SITE_URL",
    "http://127.0.0.1:8000" if DEBUG else f"https://{(ALLOWED_HOSTS or ['missing.invalid'])[0]}",
).rstrip("/")
#: Proxies in front of the app whose X-Forwarded-For is trusted for the client's address.
CASEAPP_TRUSTED_PROXY_COUNT = env_int("CASEAPP_TRUSTED_PROXY_COUNT", 0, minimum=0)
#: The firm's time zone: every staff page and the CSV show times in it, with its offset.
CASEAPP_FIRM_TIME_ZONE = env_str("CASEAPP_FIRM_TIME_ZONE", "America/Los_Angeles")
#: Public pages say "not open yet" (503) until the case record names the firm (attorney
#: advertising: CASE_FACTS "Who is speaking"). Read once here, so tests follow their environment.
CASEAPP_FIRM_IDENTITY_REQUIRED = env_bool("CASEAPP_FIRM_IDENTITY_REQUIRED", not DEBUG)
#: Seconds a public page may show a case record another request in this process read
#: (selectors.case_record.PublicCaseCache); 0 reads it on every request.
CASEAPP_PUBLIC_CASE_MAX_AGE = env_float("CASEAPP_PUBLIC_CASE_MAX_AGE", 5, minimum=0)

#: Registrations per client IP, and per email address from any network (token buckets shared
#: across workers: caseapp.ratelimit).
CASEAPP_REGISTRATION_RATE = env_rate("CASEAPP_REGISTRATION_RATE", "20/h")
CASEAPP_REGISTRATION_EMAIL_RATE = env_rate("CASEAPP_REGISTRATION_EMAIL_RATE", "5/h")
#: Seconds between the start of a check and its registration below which a person is unlikely.
CASEAPP_REGISTRATION_MIN_SECONDS = env_float("CASEAPP_REGISTRATION_MIN_SECONDS", 1, minimum=0)
#: Seconds the confirmation page (the reference) stays reachable from the browser that registered.
CASEAPP_CONFIRMATION_MAX_AGE = env_int("CASEAPP_CONFIRMATION_MAX_AGE", 1800, minimum=0)
#: How long after registering the confirmation page lets the same browser fix the email, and
#: how often per client address.
CASEAPP_EMAIL_FIX_MINUTES = env_float("CASEAPP_EMAIL_FIX_MINUTES", 30, minimum=0)
CASEAPP_EMAIL_FIX_RATE = env_rate("CASEAPP_EMAIL_FIX_RATE", "5/h")
#: Days the link that confirms an email address works.
CASEAPP_CONFIRM_LINK_DAYS = env_float("CASEAPP_CONFIRM_LINK_DAYS", 14, minimum=0)
#: /manage/ (the registrant's way back): minutes an emailed sign-in code works, minutes a
#: signed-in visit lasts, wrong tries per code, and code requests per reference-and-address
#: pair and per client IP (never per reference or per address alone: a stranger's wrong
#: tries must not lock the real person out).
CASEAPP_MANAGE_CODE_MINUTES = env_float("CASEAPP_MANAGE_CODE_MINUTES", 15, minimum=0)
CASEAPP_MANAGE_SESSION_MINUTES = env_float("CASEAPP_MANAGE_SESSION_MINUTES", 30, minimum=0)
CASEAPP_MANAGE_CODE_TRIES = env_int("CASEAPP_MANAGE_CODE_TRIES", 5, minimum=1)
CASEAPP_MANAGE_RATE_PAIR = env_rate("CASEAPP_MANAGE_RATE_PAIR", "5/h")
CASEAPP_MANAGE_RATE_IP = env_rate("CASEAPP_MANAGE_RATE_IP", "30/h")
#: A registrant's address changes, per registration and per new address; confirmation
#: emails sent again on request, per registration.
CASEAPP_EMAIL_CHANGE_RATE = env_rate("CASEAPP_EMAIL_CHANGE_RATE", "5/h")
CASEAPP_CONFIRM_RESEND_RATE = env_rate("CASEAPP_CONFIRM_RESEND_RATE", "3/h")

#: Staff sessions end after this many idle minutes, and this many hours in all.
CASEAPP_STAFF_IDLE_MINUTES = env_float("CASEAPP_STAFF_IDLE_MINUTES", 30, minimum=0)
CASEAPP_STAFF_SESSION_HOURS = env_float("CASEAPP_STAFF_SESSION_HOURS", 12, minimum=0)
#: Staff sign-in lockout (caseapp.services.sign_in_limits): failures for one account from one
#: address (or one known browser), and minutes a window lasts from its first failure.
CASEAPP_LOGIN_FAILURE_LIMIT = env_int("CASEAPP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
CASEAPP_LOGIN_COOLOFF_MINUTES = env_float("CASEAPP_LOGIN_COOLOFF_MINUTES", 15, minimum=0)
#: Failed sign-ins to one account from all addresses together before it locks everywhere but
#: the owner's known browsers; each address adds at most its own limit.
CASEAPP_LOGIN_ACCOUNT_LIMIT = env_int("CASEAPP_LOGIN_ACCOUNT_LIMIT", 20, minimum=1)
#: Two-factor sign-in (TOTP) is required of every staff account; no environment variable turns
#: it off. Only the test suite sets this (tests/conftest.py), for tests about something else.
CASEAPP_SECOND_FACTOR_OPTIONAL = False
#: Hours a staff invitation's one-time link works.
CASEAPP_INVITATION_HOURS = env_float("CASEAPP_INVITATION_HOURS", 72, minimum=1)
#: Password-reset emails per client address (the page says the same whatever the address), and
#: seconds the emailed link works.
CASEAPP_PASSWORD_RESET_RATE = env_rate("CASEAPP_PASSWORD_RESET_RATE", "5/h")
PASSWORD_RESET_TIMEOUT = env_int("CASEAPP_PASSWORD_RESET_SECONDS", 3600, minimum=60)
#: Django's admin mounted (in production only when set), and the path it is mounted at.
CASEAPP_ADMIN_ENABLED = env_bool("CASEAPP_ADMIN_ENABLED", DEBUG)
CASEAPP_ADMIN_PATH = env_str("CASEAPP_ADMIN_PATH", "admin/").strip("/") + "/"

#: Tries per message before it is marked failed, and the first wait between tries (doubling).
CASEAPP_EMAIL_MAX_ATTEMPTS = env_int("CASEAPP_EMAIL_MAX_ATTEMPTS", 5, minimum=1)
CASEAPP_EMAIL_RETRY_SECONDS = env_float("CASEAPP_EMAIL_RETRY_SECONDS", 60, minimum=0)
#: A message claimed longer ago than this by a worker that never finished it is recovered.
CASEAPP_EMAIL_LEASE_SECONDS = env_float("CASEAPP_EMAIL_LEASE_SECONDS", 300, minimum=1)
#: Case updates to many: recipients per batch (one SMTP connection each), lanes sending at
#: once (each a chain of batch tasks; workers share them), and the most messages per second
#: in all (0: as fast as the server takes them).
CASEAPP_UPDATE_BATCH = env_int("CASEAPP_UPDATE_BATCH", 100, minimum=1)
CASEAPP_UPDATE_LANES = env_int("CASEAPP_UPDATE_LANES", 2, minimum=1)
CASEAPP_UPDATE_RATE = env_float("CASEAPP_UPDATE_RATE", 0, minimum=0)
#: Seconds between runs of the recurring recovery task.
CASEAPP_RECOVER_SECONDS = env_float("CASEAPP_RECOVER_SECONDS", 300, minimum=1)

# --- Django and its apps ----------------------------------------------------------------------

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
    "caseapp.middleware.StaffLanguageMiddleware",  # the member's own language, not the cookie
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "caseapp.middleware.FirmIdentityMiddleware",  # public pages closed until a firm is named
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

# Development defaults to a SQLite file here; production names its database explicitly.
if not DEBUG and not env_str("DATABASE_URL"):
    _MISSING.append(("DATABASE_URL", "the database, e.g. "
                     "postgres://user:password@host:5432/caseapp"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60, minimum=0),
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

REDIS_URL = env_str("REDIS_URL")
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
# Staff sessions end after CASEAPP_STAFF_IDLE_MINUTES idle and this long in all (middleware).
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
    "caseapp.auth.SignInLimitBackend",  # lockout counters, taken before any password check
    # Django's ModelBackend, its permissions from the one query every staff page makes
    # (issue 18: about 15 % of a queue page; docs/decisions.md, "Framework first").
    "caseapp.auth.PermissionBackend",
]
OTP_TOTP_ISSUER = "caseapp"
# No page, the admin's included, shows a TOTP seed or a backup code after it was made.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:overview"
LOGOUT_REDIRECT_URL = "staff:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Español"))]
LOCALE_PATHS = [BASE_DIR / "caseapp" / "locale"]
TIME_ZONE = CASEAPP_FIRM_TIME_ZONE
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
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Background work (issue 13): tasks are rows in this database, written in the same transaction
# as the change that causes them, and run by `manage.py db_worker` (docs/deploy.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Email, under Django's own setting names. Without EMAIL_HOST, local runs print each message
# on the worker's console; production refuses to start without a server to send through.
EMAIL_HOST = env_str("EMAIL_HOST")
if not DEBUG and not EMAIL_HOST:
    _MISSING.append(("EMAIL_HOST", "the SMTP server registrants' confirmations and sign-in codes "
                     "are sent through (EMAIL_PORT, EMAIL_USE_TLS, EMAIL_HOST_USER and "
                     "EMAIL_HOST_PASSWORD as it needs)"))
EMAIL_BACKEND = (
    "caseapp.email_backend.ReplyRecordingSMTPBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587 if EMAIL_HOST else 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 30, minimum=0)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "caseapp@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}

if _MISSING:
    raise production_refusal(_MISSING)
