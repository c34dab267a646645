"""Password validators beside Django's own (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length, with a message of our own: Django 5.2 rewrote its "too short"
    message and its Chinese catalogue has no translation of the new one, so the refusal came out
    in English on Chinese pages."""

    def get_error_message(self) -> str:
        return ngettext(
            "密码太短，至少需要 %(min_length)d 个字符。",
            "密码太短，至少需要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}
