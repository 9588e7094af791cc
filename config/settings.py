"""digisapo settings: one file, every value from the environment.

DEBUG is off unless DJANGO_DEBUG turns it on (`make run` and `make test` do, and so does the
pytest configuration); production sets DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL.
A variable set to the empty string counts as unset, so `FOO=` in an env file means "the default".
`.env.example` lists every variable.
"""

import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    # An empty value is unset: process managers and env files often write `NAME=` for "nothing".
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int_list(name: str, default: str, *, length: int, top: int) -> list[int]:
    """A fixed number of comma-separated integers, each from 0 to `top`."""
    items = env_list(name, default)
    try:
        numbers = [int(item) for item in items]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be integers, not {items!r}") from exc
    if len(numbers) != length or not all(0 <= number <= top for number in numbers):
        raise ImproperlyConfigured(f"{name} must be {length} integers from 0 to {top}")
    return numbers


def env_decimal(name: str, default: str) -> Decimal:
    value = env_str(name, "") or default
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


# Off unless asked for: a forgotten variable must never run production with debug pages and the
# published development key below.
DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
        "(set DJANGO_DEBUG=1 for development; `make run` does)"
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "ninja",
    "django_tasks_db",
    "config",
    "supporters",
    "venues",
    "sessions.apps.SessionsConfig",
    "consultations",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.inputs.RefuseNullCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.HtmxSignInRedirectMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.roles",
            ],
        },
    },
]

# Every form draws its fields with one template (config/templates/forms/field.html).
FORM_RENDERER = "config.forms.FormRenderer"

# SQLite under var/ is the embedded default; production and CI's second run set DATABASE_URL.
# Connections persist in production (issue 9): a new PostgreSQL connection per request cost about
# as much CPU again as the page. CONN_MAX_AGE rather than psycopg's pool: gunicorn's sync
# workers and db_worker serve one thing at a time, so one kept connection each is all a pool
# would hold, without another dependency or a pool per process to size against max_connections.
# The health check replaces a connection the server dropped before a request uses it.
# Development and the tests (DEBUG on) open one per request, as Django's runserver threads need.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'digisapo.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web app and the worker share the file: wait for a lock rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_SERVER_SIDE_BINDING", True
):
    # Parameters bound on the server, and psycopg prepares a statement run 5 times on a kept
    # connection (Django leaves preparing off by default), so PostgreSQL plans it once:
    # planning the user's roles EXISTS alone cost more than executing the board's queries
    # (docs/performance.md). Off behind a pooler in transaction mode (PgBouncer), where
    # prepared statements do not follow the connection.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The annual report's covering indexes (issue 12) hold non-key columns on PostgreSQL; SQLite
# builds the same indexes on their keys alone, which is all the embedded default needs.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else []
)

AUTH_USER_MODEL = "supporters.User"
# Django's and allauth's backends, each loading the user with their supporter and roles in one
# query on every request (supporters/backends.py).
AUTHENTICATION_BACKENDS = [
    "supporters.backends.ModelBackend",
    "supporters.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Server-side sessions: a pending sign-in code must never travel in a cookie.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# One cache every process shares, in the database (`manage.py createcachetable`; `make run` does
# it, test databases get it on creation): allauth counts sign-in attempts and code requests in
# the cache, and a per-process memory cache would give each web worker its own count.
#
# "fragments" is each process's own memory, for rendered parts of pages keyed by everything they
# show (a board card's public part, sessions/templatetags/session_fragments.py): a key that changes
# with the content is never stale in any process, and a fetch costs no query (issue 9).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "digisapo_cache",
    },
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "digisapo-fragments",
        "TIMEOUT": 24 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

# django-allauth (issue 5). Supporters sign in with their mobile number and a one-time SMS code;
# email or username with a password works too. Supporters are invited, so open sign-up stays
# closed (supporters.adapters); invitees get their account on the invitation's page.
ACCOUNT_ADAPTER = "supporters.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "supporters.adapters.display_name"
ACCOUNT_LOGIN_METHODS = {"phone", "email", "username"}
# Sign-up is closed: these fields tell allauth what an account holds. A phone is optional
# (coordinators may have none) and gets verified when it is used; without "password1" allauth
# would drop the password from the sign-in form.
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_FORMS = {
    "request_login_code": "supporters.forms.RequestSignInCodeForm",
    "confirm_login_code": "supporters.forms.ConfirmSignInCodeForm",
    "verify_phone": "supporters.forms.VerifyPhoneCodeForm",
    "change_phone": "supporters.forms.ChangeMobilePhoneForm",
}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Six digits, typed on a phone's number pad; valid for ten minutes, three tries per code.
SIGN_IN_CODE_MINUTES = 10
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = SIGN_IN_CODE_MINUTES * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# A number is verified by the first code it receives (invitation, sign-in, or changing it on
# allauth's phone page); a password sign-in is not stopped to verify one a coordinator typed in.
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = ACCOUNT_LOGIN_BY_CODE_FORMAT
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = SIGN_IN_CODE_MINUTES * 60
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 3
# Each code costs a text: at most 3 per number in 15 minutes and 10 a day, and 30 an hour from
# one address (a class of supporters on one hall's Wi-Fi still all get in). "join_code" is the
# same for invitees verifying their number (supporters.views.join). People are told how many
# minutes are left; a coordinator lifts a number's lock on the supporter's admin page
# (supporters.services.lift_sign_in_lock).
ACCOUNT_RATE_LIMITS = {
    "request_login_code": "30/h/ip,3/15m/key,10/d/key",
    "join_code": "30/h/ip,3/15m/key,10/d/key",
    # Group-visit requests from the public form and API (issue 10): a few a network may send
    # in an hour, counted only when a request is made; coordinators are not limited.
    "dispatch_request": "5/h/ip",
    # Class registrations from the public form and API (issue 11), likewise; a family on one
    # line registers a few people for a few classes.
    "class_registration": "10/h/ip",
}
# Behind a reverse proxy every request comes from the proxy's address: count the proxies that
# append to X-Forwarded-For, or the per-address limits above apply to everyone at once.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DIGISAPO_TRUSTED_PROXY_COUNT", 0)
# How long an invitation link stays valid.
INVITATION_VALID_DAYS = env_int("DIGISAPO_INVITATION_VALID_DAYS", 14)

LANGUAGE_CODE = "ja"
LANGUAGES = [
    ("ja", "日本語"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
# Named date formats per language (config/formats/<language>/formats.py): code and templates ask
# for "SMS_DATE_FORMAT", never for "n/j (D)".
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Background work: Django's tasks framework, the database as the queue (no broker to run).
TASKS = {
    "default": {
        "BACKEND": env_str("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# SMS (issue 4): every text goes through the outbox in `notifications`, sent by a backend chosen
# here like Django's email backends. The console is the default so the app runs with no account.
SMS_BACKEND = env_str("DIGISAPO_SMS_BACKEND", "notifications.backends.ConsoleBackend")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
# Empty: api.twilio.com. Set it to point the same client at another host (a local fake Twilio).
TWILIO_BASE_URL = env_str("TWILIO_BASE_URL", "").rstrip("/")
if SMS_BACKEND.endswith(".TwilioBackend") and not (
    TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID)
):
    raise ImproperlyConfigured(
        "The Twilio SMS backend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
        "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"
    )
# The site's public address: every link in a text is built on it (a phone cannot open
# "/offers/12/"), Twilio's status callbacks too, and webhook signatures are checked against it
# (behind a proxy the request's own host is not what Twilio signed). `make run`'s address in
# development; production refuses to start without it.
PUBLIC_URL = (
    env_str("DIGISAPO_PUBLIC_URL", "") or ("http://127.0.0.1:8000" if DEBUG else "")
).rstrip("/")
if not PUBLIC_URL:
    raise ImproperlyConfigured("DIGISAPO_PUBLIC_URL must be set when DJANGO_DEBUG is off")
if not PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"DIGISAPO_PUBLIC_URL must be an http(s):// address, not {PUBLIC_URL!r}"
    )
# The number residents and supporters call (the footer's, and texts that say "call the office"),
# in E.164: Maebashi City Hall's by default.
CITY_PHONE = env_str("DIGISAPO_CITY_PHONE", "+81272241111")
if not re.fullmatch(r"\+[1-9]\d{6,14}", CITY_PHONE):
    raise ImproperlyConfigured(f"DIGISAPO_CITY_PHONE must be in E.164 form, not {CITY_PHONE!r}")
# Nothing but the texts people asked for (sign-in codes, replies) goes out from 21:00 to 08:00.
SMS_QUIET_HOURS = tuple(env_int_list("DIGISAPO_SMS_QUIET_HOURS", "21,8", length=2, top=23))
SMS_MAX_ATTEMPTS = env_int("DIGISAPO_SMS_MAX_ATTEMPTS", 6)
# A message claimed longer ago than this, with no answer recorded, is checked with the provider
# (its worker may have died). Must stay well above the provider's HTTP timeout.
SMS_SENDING_LEASE_SECONDS = env_int("DIGISAPO_SMS_LEASE_SECONDS", 120)
# A claimed text whose check with the provider failed this many times (one try per lease: a
# provider outage, a key that may not list messages) is left for a coordinator as "needs
# checking" instead of being checked forever: it may have been delivered, so it is not resent.
SMS_LOOKUP_MAX_ATTEMPTS = env_int("DIGISAPO_SMS_LOOKUP_MAX_ATTEMPTS", 5)
# /healthz reports the outbox as stalled when a due message has waited longer than this.
SMS_STALLED_AFTER_MINUTES = env_int("DIGISAPO_SMS_STALLED_AFTER_MINUTES", 15)
# For the coordinators' estimate only (yen per part); the provider's invoice is the truth.
SMS_PRICE_PER_SEGMENT = env_decimal("DIGISAPO_SMS_PRICE_PER_SEGMENT", "12")

# Shifts (issue 5). A place that frees up is offered to the first waiting supporter for this
# long, or for this share of the time left before the session when that is shorter, but never
# for less than the minimum (no offer at all when the session starts sooner than that).
SHIFT_OFFER_HOURS = env_int("DIGISAPO_SHIFT_OFFER_HOURS", 12)
SHIFT_OFFER_SHARE_OF_TIME_LEFT = env_int("DIGISAPO_SHIFT_OFFER_SHARE_PERCENT", 50) / 100
SHIFT_OFFER_MIN_MINUTES = env_int("DIGISAPO_SHIFT_OFFER_MIN_MINUTES", 30)
# Cancelling closer to the start than this is allowed, but the coordinators get a text.
SHIFT_LATE_CANCEL_HOURS = env_int("DIGISAPO_SHIFT_LATE_CANCEL_HOURS", 24)
# Cover requests (issue 13). A supporter who needs cover keeps the shift until someone takes it:
# eligible supporters are asked by text a round at a time (this many, the next round when all
# of one said no or after this many hours), until this many hours before the session; then
# the coordinators are told and the supporter asked whether they can still come.
COVER_DEADLINE_HOURS = env_int("DIGISAPO_COVER_DEADLINE_HOURS", 24)
COVER_ROUND_SIZE = env_int("DIGISAPO_COVER_ROUND_SIZE", 3)
COVER_ROUND_HOURS = env_int("DIGISAPO_COVER_ROUND_HOURS", 4)

# Group visits (issue 10). A preferred date must be at least this many days ahead (time to find
# supporters); the representative's personal data is removed this many days after the visit
# (or after the request was declined or cancelled), as the consent text says.
DISPATCH_MIN_DAYS_AHEAD = env_int("DIGISAPO_DISPATCH_MIN_DAYS_AHEAD", 14)
DISPATCH_PURGE_DAYS = env_int("DIGISAPO_DISPATCH_PURGE_DAYS", 180)

# Smartphone classes (issue 11). A seat freed for the first in line is offered by text for this
# many hours (never past the class's start); registrants' names and phones are removed this many
# days after the class. Each registration keeps a participant key, an HMAC of the phone number
# with this secret, to count distinct people after that: changing the secret splits everyone
# counted before from everyone after, so it is set once and kept.
CLASS_OFFER_HOURS = env_int("DIGISAPO_CLASS_OFFER_HOURS", 24)
CLASS_PERSONAL_DATA_DAYS = env_int("DIGISAPO_CLASS_PERSONAL_DATA_DAYS", 180)
_DEV_PARTICIPANT_KEY_SECRET = "development-only-participant-key-secret"
PARTICIPANT_KEY_SECRET = env_str(
    "DIGISAPO_PARTICIPANT_KEY_SECRET", _DEV_PARTICIPANT_KEY_SECRET if DEBUG else ""
)
if not PARTICIPANT_KEY_SECRET:
    raise ImproperlyConfigured(
        "DIGISAPO_PARTICIPANT_KEY_SECRET must be set when DJANGO_DEBUG is off "
        "(the participant keys of class registrations are hashed with it)"
    )

# Mail (allauth's password resets): the console in development, SMTP in production.
_EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {
            "host": env_str("DJANGO_EMAIL_HOST", "localhost"),
            "port": env_int("DJANGO_EMAIL_PORT", 25),
            "username": env_str("DJANGO_EMAIL_USER", ""),
            "password": env_str("DJANGO_EMAIL_PASSWORD", ""),
            "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False),
        }
        if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "digisapo@localhost")

# Demo accounts exist only in development; `make run` prints this password.
DEMO_PASSWORD = env_str("DIGISAPO_DEMO_PASSWORD", "digisapo-demo-2026")

# Production hardening: on whenever DEBUG is off, each switchable for a TLS-terminating proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

APP_NAME = _("Maebashi Digital Supporters")
