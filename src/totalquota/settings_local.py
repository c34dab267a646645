"""One-machine profile: ``DJANGO_SETTINGS_MODULE=totalquota.settings_local`` (what ``bin/start`` runs).

The platform served by gunicorn on a loopback address over plain HTTP, the way a bureau runs it on
one workstation: DEBUG off, the secret key generated once under ``VAR_DIR`` (``secret_key``, 0600),
static files collected into ``STATIC_ROOT`` and served by WhiteNoise, uploads only through the
access-checked views. No HTTPS redirect and no Secure cookies, so http://127.0.0.1 works; for a
server behind an HTTPS reverse proxy use ``settings_production``.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from totalquota.keyfiles import ensure_key_file
from totalquota.settings import *  # noqa: F403
from totalquota.settings import COLLECTED_STATIC, DEV_SECRET_KEY, STORAGES, VAR_DIR

DEBUG = False
SECRET_KEY = ensure_key_file(VAR_DIR / "secret_key")
if SECRET_KEY == DEV_SECRET_KEY:  # cannot happen with a generated key; kept as the profile's promise
    raise ImproperlyConfigured("settings_local must not run with the development secret key")

# Loopback only, whatever port bin/start binds; more names (a LAN address) from the environment.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"] + [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h
]

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# No proxy in front: the lockout keys on the socket's address and ignores X-Forwarded-For.
TRUSTED_PROXY_COUNT = 0

# Collected, hashed and compressed by collectstatic (bin/start runs it); served with long caching.
STORAGES = {**STORAGES, "staticfiles": COLLECTED_STATIC}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = False
