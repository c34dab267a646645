"""Errors that services raise and every edge (UI, API, commands) shows to people.

A service refuses bad input by raising one of these before it writes anything (or inside the
transaction it is rolling back). Messages are Chinese sentences marked for translation
(``gettext`` at the raise, so the person asking reads them in the page's language); ``clause`` names the rule
(see :mod:`totalquota.lib.clauses`) when a rule refused.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


class DomainError(Exception):
    """Base of refusals; ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        clause: str | None = None,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.clause = clause
        self.field = field
        self.errors = errors or []

    def __str__(self) -> str:
        if self.clause:
            return gettext("{message}（依据 {clause}）").format(message=self.message, clause=self.clause)
        return self.message


class ValidationFailed(DomainError):
    """Input that breaks a format or a rule (400 / 422 at the API)."""

    status = 422
    code = "validation"


class RuleViolation(ValidationFailed):
    """Input that is well-formed but a rule of the park refuses it."""

    code = "rule"


class Conflict(DomainError):
    """The request clashes with the current state (409): a repeated key with other content, a
    decision already taken, a hold already resolved."""

    status = 409
    code = "conflict"


class NotFound(DomainError):
    status = 404
    code = "not-found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
