"""Access table: the history import (历史数据导入, SCOPE-1), bureau administrators only. The walk's
import was prepared by another administrator, so the walk's administrator may confirm it."""

from __future__ import annotations

from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ADMINS = allow(R.ADMIN, roles_list=PEOPLE)
API_ADMINS = allow(R.ADMIN)


def history_import(w: Any):
    """A prepared import of an empty plan (confirming it posts nothing), by another admin."""
    if hasattr(w, "history_import"):
        return w.history_import
    from tests.factories import UserFactory
    from totalquota.history.models import HistoryImport

    preparer = UserFactory(username="history_preparer", role=R.ADMIN)
    w.history_import = HistoryImport.objects.create(
        file_name="walk.xlsx",
        file_sha256="cd" * 32,
        file_size=10,
        plan={"steps": []},
        report=[],
        timeline=[],
        prepared_by=preparer,
    )
    return w.history_import


def pk(w: Any) -> dict[str, Any]:
    return {"pk": history_import(w).pk}


def import_id(w: Any) -> dict[str, Any]:
    return {"import_id": history_import(w).pk}


PAGES = {
    "history:list": Page(ADMINS),
    "history:template": Page(ADMINS),
    "history:upload": Page(ADMINS),
    "history:upload#post": Page(ADMINS, method="post"),
    "history:detail": Page(ADMINS, kwargs=pk),
    "history:report": Page(ADMINS, kwargs=pk),
    "history:confirm": Page(ADMINS, kwargs=pk, method="post"),
    "history:discard": Page(ADMINS, kwargs=pk, method="post"),
}

API_ROUTES = {
    ("get", "/api/v1/history/imports"): ApiRoute(API_ADMINS),
    ("post", "/api/v1/history/imports"): ApiRoute(API_ADMINS),
    ("get", "/api/v1/history/imports/{import_id}"): ApiRoute(API_ADMINS, params=import_id),
    ("post", "/api/v1/history/imports/{import_id}/confirm"): ApiRoute(API_ADMINS, params=import_id),
    ("post", "/api/v1/history/imports/{import_id}/discard"): ApiRoute(API_ADMINS, params=import_id),
}
