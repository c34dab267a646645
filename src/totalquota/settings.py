"""Settings of the emission total-quota platform (排污总量管理平台).

Everything that differs between a laptop and the bureau's server comes from the environment:

- ``DATABASE_URL``: PostgreSQL (``postgres://user@host:5432/name``); unset means the embedded
  SQLite file ``var/db.sqlite3``.
- ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``, ``DJANGO_ALLOWED_HOSTS``: see
  ``settings_production`` for the server profile that ``manage.py check --deploy`` accepts.
- ``TOTALQUOTA_VAR_DIR``: where the SQLite file, uploads, generated documents and the keys of a
  started platform live.
- ``PUBLIC_BASE_URL``: the address the public verify page of issued documents is reached at
  (printed with each document's QR code); unset means the host of the request that first draws
  the document, else ``http://127.0.0.1:8000``.

This module is the development and test profile (``./bin/start --dev``, pytest). ``bin/start``
serves with ``settings_local`` (one machine, loopback, plain HTTP); a server behind the bureau's
HTTPS proxy uses ``settings_production``. Both refuse the development key below.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("TOTALQUOTA_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DJANGO_DEBUG", True)
# The development key is only for development and tests: settings_local reads a key generated once
# under VAR_DIR, settings_production one from the environment, and both refuse this one.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver (bin/start --dev) leaves /static/ to WhiteNoise too: Django's own static handler
    # answered 500 for a percent-encoded "../" under /static/.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "totalquota.common",
    "totalquota.audit",
    "totalquota.outbox",
    "totalquota.accounts",
    "totalquota.registry",
    "totalquota.documents",
    "totalquota.jobs",
    "totalquota.workflow",
    "totalquota.ledger",
    "totalquota.reductions",
    "totalquota.reserve",
    "totalquota.emissions",
    "totalquota.enforcement",
    "totalquota.history",
    "totalquota.reports",
    "totalquota.notifications",
    "totalquota.inbound",
    "totalquota.webhooks",
    "totalquota.api",
    "totalquota.web",
    "totalquota.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise answers /static/ itself, before sessions and the database are touched.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "totalquota.common.security.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "totalquota.common.middleware.RequestIdMiddleware",
    "totalquota.common.middleware.SandboxMiddleware",
    "totalquota.common.middleware.ApiProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A one-time password (a unit's new account, a reset) is changed before anything else.
    "totalquota.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes last: it needs the authenticated user and answers locked-out logins itself.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "totalquota.urls"
WSGI_APPLICATION = "totalquota.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "totalquota.web.context_processors.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    # BEGIN IMMEDIATE takes the write lock at the start of every transaction, so two writers
    # queue on the busy timeout instead of failing with "database is locked" half-way through.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # synchronous=FULL: a committed transaction survives a power cut, as on PostgreSQL. (With
    # NORMAL, WAL mode may lose the last commits: an approval the user already saw, with its
    # ANNEX-1 table issued, could vanish from the ledger.)
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
}


def database_from_url(url: str | None) -> dict:
    """A Django DATABASES entry for ``url``, or the embedded SQLite file when ``url`` is empty."""
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    # Connections are kept for a minute between requests; the health check makes the first request
    # after a database restart (or a terminated backend) reconnect instead of failing on a dead
    # connection.
    config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
    elif os.environ.get("TEST_DB_NAME"):
        # Lets two test runs share one PostgreSQL server without dropping each other's database.
        config["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}
    return config


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The first is the default; the one-time passwords of units' accounts get a cheaper argon2 (see
# accounts.hashers), rehashed with the default at the first sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "totalquota.accounts.hashers.OneTimePasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The password policy of every person, whoever sets the password (the person, the admin, a reset):
# at least 12 characters, not like the username or name, not one of Django's 20,000 common
# passwords, not digits only. Django's messages in Chinese or English (the length message is our own:
# Django 5.2 has no Chinese for its new wording).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email", "phone")},
    },
    {"NAME": "totalquota.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock an account + address pair after five failed logins for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
# How long an API token lives when it is issued without an explicit lifetime (days). Tokens are
# issued to system clients only; people call the API with their session.
API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "365"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The client address axes keys on: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the
# address the outermost of them saw (X-Forwarded-For); see totalquota.common.security.client_ip.
AXES_CLIENT_IP_CALLABLE = "totalquota.common.security.client_ip"
TRUSTED_PROXY_COUNT = 0

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "totalquota.web.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts and styles only from the platform's own static
# files, no inline code (an inline script needs the request's nonce: ``{{ CSP_NONCE }}``).
# Bootstrap draws some icons of its CSS as data: images. ECharts and Bootstrap set element styles
# from JavaScript (CSSOM), which style-src does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features the platform never uses, switched off for every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# --- i18n: Chinese first, English on request -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- files --------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Uploads (RED-3 evidence, RES-2 application documents): a per-file limit common.files checks;
# Django's own memory limit stays at its default so large files spill to a temporary file instead
# of memory.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))

# The sandbox: a demo park behind the same API for partners to test against (./bin/start --sandbox:
# its own SQLite database and keys under var/sandbox). Pages show a banner; answers carry X-Sandbox.
SANDBOX = os.environ.get("TOTALQUOTA_SANDBOX", "") == "1"

# /api/v1 rate limits per caller (each token, each signed-in person): "<requests>/<s|min|hour|day>",
# empty for none. Over budget: 429 with Retry-After (api.throttling). Counted in this cache; the
# default local-memory cache counts per server process.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "1200/min")
API_RATE_CACHE = "default"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Issued documents (documents.IssuedDocument) keep their files in the database row, never under a URL;
# the QR code printed on each points to the verify page at this address (see the module docstring).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
# Uploaded files (MEDIA_ROOT) have no URL of their own: they are only ever sent by views that check
# who asks (evidence: reductions.views.evidence_download and the API's download_evidence; an
# application's documents: reserve.views.documents.document_download and download_document).
# In development and tests WhiteNoise serves static files straight from the source folders; the
# served profiles (settings_local, settings_production) serve what collectstatic put in STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# What the served profiles use instead: collected, hashed and compressed, served with long caching.
COLLECTED_STATIC = {"BACKEND": "totalquota.staticstorage.StaticStorage"}

# --- audit chain (README, 审计链) ------------------------------------------------------------------
# Links are HMACs keyed outside the database: the keyring file (mode 0600; back it up with the
# database, the chain cannot be verified without it) or, if set, ``AUDIT_HMAC_KEYS``
# (``id:hex,id:hex``, newest last). ``AUDIT_DIGEST`` is the algorithm of new links: ``sha256`` or
# ``sm3`` (GB/T 32905, for commercial cryptography assessments); each link records its own.
AUDIT_KEY_FILE = Path(os.environ.get("AUDIT_KEY_FILE", VAR_DIR / "keys" / "audit.keys"))
AUDIT_HMAC_KEYS = os.environ.get("AUDIT_HMAC_KEYS", "")
AUDIT_DIGEST = os.environ.get("AUDIT_DIGEST", "sha256")
# Events are linked right after their commit: on PostgreSQL by a thread of the process, this long
# after it (gathering the commits of the moment into one chaining; 0 = in the commit's own hook).
# The verifier reports any event left unlinked longer than the grace period.
AUDIT_CHAIN_DELAY_MS = int(os.environ.get("AUDIT_CHAIN_DELAY_MS", "1000"))
AUDIT_UNCHAINED_GRACE_SECONDS = int(os.environ.get("AUDIT_UNCHAINED_GRACE_SECONDS", "10"))

# --- API idempotency keys (README, Idempotency-Key) ---------------------------------------------
# A key a caller sent with a POST is kept this many days (at least 7), then removed by
# ``manage.py api_prune_idempotency``. A key claimed by a request that never answered (its process
# died) may be claimed again after ``IDEMPOTENCY_STALE_SECONDS``, well past the server's timeout.
IDEMPOTENCY_RETENTION_DAYS = max(7, int(os.environ.get("IDEMPOTENCY_RETENTION_DAYS", "7")))
IDEMPOTENCY_STALE_SECONDS = int(os.environ.get("IDEMPOTENCY_STALE_SECONDS", "600"))

# --- background work ----------------------------------------------------------------------------
# --- e-mail: notifications (站内信) are also mailed when a mail server is configured ---------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
NOTIFICATIONS_EMAIL = _env_bool("NOTIFICATIONS_EMAIL", bool(EMAIL_HOST))

# Outbound webhooks (totalquota.webhooks.delivery): the request's timeout, the tries before a
# delivery is dead, and the wait after a failed try (doubling from the first, capped).
WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_MAX_ATTEMPTS = 8
WEBHOOK_BACKOFF_SECONDS = 30
WEBHOOK_BACKOFF_MAX_SECONDS = 3600
# Receivers on loopback, private, link-local or reserved addresses (totalquota.webhooks.addresses)
# are refused unless this is on: for a park whose partner systems receive on its intranet.
WEBHOOK_ALLOW_PRIVATE_HOSTS = _env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The park this deployment serves; the demo data creates it.
PARK_NAME = _("苏州工业园区")
