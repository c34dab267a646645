"""Reads of the history import: the imports a person may see, one import, its postings."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from totalquota.accounts.permissions import access, restrict
from totalquota.history.models import HistoryEntry, HistoryImport


def imports_for(who: Any) -> QuerySet[HistoryImport]:
    return restrict(who, HistoryImport.objects.select_related("prepared_by", "decided_by"), "history.view")


def import_for(who: Any, pk: Any) -> HistoryImport:
    """The import ``pk`` if ``who`` may see it (403 without the role, 404 if there is none)."""
    return access(who, HistoryImport.objects.select_related("prepared_by", "decided_by"), pk, "history.view")


def entries_of(history: HistoryImport) -> QuerySet[HistoryEntry]:
    return history.entries.select_related("posting").order_by("id")
