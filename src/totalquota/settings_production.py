"""Server profile: ``DJANGO_SETTINGS_MODULE=totalquota.settings_production``.

Requires ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS`` from the environment; serves over HTTPS
only (behind the bureau's reverse proxy, which sets ``X-Forwarded-Proto``). ``TRUSTED_PROXY_COUNT``
is the number of reverse proxies in front of the application that append to ``X-Forwarded-For``
(usually 1); the login lockout then keys on the address the outermost proxy saw.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from totalquota.settings import *  # noqa: F403
from totalquota.settings import COLLECTED_STATIC, DEV_SECRET_KEY, STORAGES

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
if SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is the development key; generate a real one")
ALLOWED_HOSTS = [h for h in os.environ["DJANGO_ALLOWED_HOSTS"].split(",") if h]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]

TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

STORAGES = {**STORAGES, "staticfiles": COLLECTED_STATIC}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = False
