"""Settings for running django-hordak beside the platform in the ledger benchmark only."""

from totalquota.settings import *  # noqa: F403
from totalquota.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "mptt", "djmoney", "hordak"]
# Quota is grams per year; hordak stores decimals, so tonnes with six places hold a gram exactly.
HORDAK_DECIMAL_PLACES = 6
HORDAK_MAX_DIGITS = 20
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY"]
HORDAK_CURRENCIES = ["CNY"]
