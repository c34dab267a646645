"""API routes of the history import (历史数据导入, SCOPE-1), bureau administrators only: upload a
filled-in template (multipart; a bad file is a 422 problem document listing every row), read an
import and its row-by-row report, confirm it (another administrator: four eyes) or discard it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload
from totalquota.history import selectors, services

router = Router(tags=["历史数据导入 history"])


class ReportRowOut(Schema):
    sheet: str = Field(description="工作表")
    row: int = Field(description="行号")
    day: str = Field(description="记账日期")
    key: str = Field(description="行标识（防止重复导入）")
    message: str = Field(description="记账内容（中文）")
    message_en: str = Field(description="记账内容（英文）")


class HistoryImportOut(Schema):
    id: int
    file_name: str
    file_sha256: str
    status: str = Field(description="prepared 待复核、confirmed 已导入、discarded 已放弃")
    lot_rows: int
    allocation_rows: int
    recovery_rows: int
    first_day: dt.date | None
    last_day: dt.date | None
    prepared_by: str
    prepared_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    postings: list[int] = Field(description="确认后形成的记账批次编号")

    @staticmethod
    def resolve_prepared_by(h: Any) -> str:
        return str(h.prepared_by.get_username())

    @staticmethod
    def resolve_decided_by(h: Any) -> str | None:
        return h.decided_by.get_username() if h.decided_by_id else None

    @staticmethod
    def resolve_postings(h: Any) -> list[int]:
        return list(h.entries.order_by("id").values_list("posting_id", flat=True))


class HistoryImportDetailOut(HistoryImportOut):
    report: list[ReportRowOut]


@router.get(
    "/history/imports",
    response=list[HistoryImportOut],
    summary="历史数据导入批次（最新在前）",
    auth=allowed("history.view"),
)
@paginate(Pages, page_size=100)
def list_imports(request: ApiRequest):
    return selectors.imports_for(request.auth)


@router.post(
    "/history/imports",
    response={201: HistoryImportDetailOut},
    summary="上传历史数据模板：整体检查，生成待复核的导入（不记账；任何一行有误则整体退回）",
    auth=allowed_upload("history.import"),
)
def upload_import(request: ApiRequest, file: File[UploadedFile]):
    history = services.history_prepare(actor=request.auth, file_name=file.name or "", content=file.read())
    return Status(201, selectors.import_for(request.auth, history.pk))


@router.get(
    "/history/imports/{int:import_id}",
    response=HistoryImportDetailOut,
    summary="一个导入批次及其逐行报告",
    auth=allowed("history.view"),
)
def get_import(request: ApiRequest, import_id: int):
    return selectors.import_for(request.auth, import_id)


@router.post(
    "/history/imports/{int:import_id}/confirm",
    response=HistoryImportDetailOut,
    summary="确认导入：按原日期全部记账（四眼原则：上传者不能确认）",
    auth=allowed("history.import"),
)
def confirm_import(request: ApiRequest, import_id: int):
    history = selectors.import_for(request.auth, import_id)
    services.history_confirm(actor=request.auth, history=history)
    return selectors.import_for(request.auth, import_id)


@router.post(
    "/history/imports/{int:import_id}/discard",
    response=HistoryImportDetailOut,
    summary="放弃一个待复核的导入（未记账）",
    auth=allowed("history.import"),
)
def discard_import(request: ApiRequest, import_id: int):
    history = selectors.import_for(request.auth, import_id)
    services.history_discard(actor=request.auth, history=history)
    return selectors.import_for(request.auth, import_id)
