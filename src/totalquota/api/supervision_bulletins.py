"""API routes of bulletins (RED-5, RES-3, SUP-4): list, start a generation (a background job),
a bulletin's figures, its files; re-issue and revoke a bulletin, and publish any issued document
(the bureau, as on the bulletin's page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import restrict
from totalquota.api.core import ApiRequest, Pages, allowed
from totalquota.api.fields import RecordId
from totalquota.documents.models import IssuedDocument
from totalquota.documents.responses import send_file
from totalquota.registry.models import Zone
from totalquota.reports import bulletins_services as services
from totalquota.reports.models import Bulletin, BulletinSeries

router = Router(tags=["通报 bulletins"])
VIEW = "reports.view_bulletins"


def _visible(auth: Any):
    series = restrict(auth, BulletinSeries.objects.all(), VIEW)
    return Bulletin.objects.filter(subject_id__in=series.values("pk"))


def _bulletin(auth: Any, bulletin_id: int) -> Bulletin:
    doc = _visible(auth).filter(pk=bulletin_id).first()
    if doc is None:
        raise Http404("记录不存在或不在您的权限范围内")
    return doc


class BulletinOut(Schema):
    id: int
    code: str = Field(description="文号")
    version: int
    state: str = Field(description="valid 有效、superseded 已被新版本替代、revoked 已撤销")
    kind: str = Field(
        description="reduction 减排项目通报、warning 储备收支预警通报、supervision 年度总量监管报告"
    )
    title: str
    scope: str
    period: list[str]
    issued_on: dt.date
    published_at: dt.datetime | None
    verification_code: str
    known_at: str = Field(description="数据截至时刻（ISO 8601，含时区）")
    ledger_digest: str = Field(description="计算所依据的台账记录的 SHA-256")
    superseded_by: int | None = Field(None, alias="superseded_by_id")

    @staticmethod
    def resolve_kind(doc) -> str:
        return str(doc.figures.get("kind", ""))

    @staticmethod
    def resolve_title(doc) -> str:
        return str(doc.figures.get("title", ""))

    @staticmethod
    def resolve_scope(doc) -> str:
        return str(doc.figures.get("scope", ""))

    @staticmethod
    def resolve_period(doc) -> list[str]:
        return list(doc.figures.get("basis", {}).get("period", []))

    @staticmethod
    def resolve_known_at(doc) -> str:
        return str(doc.figures.get("basis", {}).get("known_at", ""))

    @staticmethod
    def resolve_ledger_digest(doc) -> str:
        return str(doc.figures.get("basis", {}).get("ledger_digest", ""))


class BulletinFiguresOut(BulletinOut):
    figures: dict[str, Any] = Field(description="通报所载的全部内容（表格、图表数据、依据 basis）")


class BulletinIn(Schema):
    kind: str = Field(description="reduction、warning 或 supervision")
    start: dt.date
    end: dt.date
    zone_id: RecordId | None = Field(None, description="功能区编号；不填为全园区")


class BulletinJobOut(Schema):
    job_id: int
    status: str
    url: str = Field(description="查询任务进度与结果：GET /api/v1/jobs/{id}；完成后结果含通报编号 document")
    page: str


def _job_answer(job: Any) -> dict[str, Any]:
    return {
        "job_id": job.pk,
        "status": job.status,
        "url": reverse("api:job", args=[job.pk]),
        "page": reverse("jobs:detail", args=[job.pk]),
    }


@router.get("/supervision/bulletins", response=list[BulletinOut], summary="通报列表", auth=allowed(VIEW))
@paginate(Pages, page_size=100)
def list_bulletins(request: ApiRequest, kind: str = "", state: str = ""):
    qs = _visible(request.auth).order_by("-issued_at", "-id")
    if kind:
        qs = qs.filter(subject_id__in=BulletinSeries.objects.filter(kind=kind).values("pk"))
    if state:
        qs = qs.filter(state=state)
    return qs


@router.post(
    "/supervision/bulletins",
    response={202: BulletinJobOut},
    summary="生成通报：在后台任务中计算并签发（同一通报已有有效版本时出具新版本替代），返回 202 与任务地址",
    auth=allowed("reports.issue_bulletin"),
)
def start_bulletin(request: ApiRequest, payload: BulletinIn):
    zone = None
    if payload.zone_id is not None:
        zone = Zone.objects.filter(pk=payload.zone_id).first()
        if zone is None:
            from totalquota.lib.errors import ValidationFailed

            raise ValidationFailed("功能区不存在", field="zone_id")
    job = services.bulletin_start(
        actor=request.auth, kind=payload.kind, start=payload.start, end=payload.end, zone=zone
    )
    return Status(202, _job_answer(job))


@router.get(
    "/supervision/bulletins/{int:bulletin_id}",
    response=BulletinFiguresOut,
    summary="通报及其所载内容",
    auth=allowed(VIEW),
)
def get_bulletin(request: ApiRequest, bulletin_id: int):
    return _bulletin(request.auth, bulletin_id)


@router.get(
    "/supervision/bulletins/{int:bulletin_id}/files/{fmt}",
    summary="通报的签发文件（fmt：pdf 或 xlsx），与验证页下载的文件相同",
    auth=allowed(VIEW),
)
def get_bulletin_file(request: HttpRequest, bulletin_id: int, fmt: str):
    doc = _bulletin(request.auth, bulletin_id)  # type: ignore[attr-defined]
    return send_file(doc, fmt, f"{doc.figures.get('title', '通报')}-{doc.code}", request)


class RevokeIn(Schema):
    reason: str = Field(min_length=1, max_length=500, description="撤销理由（验证页显示）/ the reason")


class PublishedOut(Schema):
    id: int
    code: str
    kind: str = Field(description="签发文件种类 / the kind of issued document")
    state: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_kind(doc) -> str:
        return str(doc.kind)


@router.post(
    "/supervision/bulletins/{int:bulletin_id}/reissue",
    response={202: BulletinJobOut},
    summary="按现有资料重新计算同一通报；签发后替代本版本（后台任务，返回 202）/ Re-issue a bulletin",
    auth=allowed("reports.issue_bulletin"),
)
def reissue_bulletin(request: ApiRequest, bulletin_id: int):
    doc = _bulletin(request.auth, bulletin_id)
    series = BulletinSeries.objects.select_related("zone").get(pk=doc.subject_id)
    job = services.bulletin_start(
        actor=request.auth, kind=series.kind, start=series.start, end=series.end, zone=series.zone
    )
    return Status(202, _job_answer(job))


@router.post(
    "/supervision/bulletins/{int:bulletin_id}/revoke",
    response=BulletinOut,
    summary="撤销通报（须说明理由，验证页显示撤销）/ Revoke a bulletin",
    auth=allowed("reports.issue_bulletin"),
)
def revoke_bulletin(request: ApiRequest, bulletin_id: int, payload: RevokeIn):
    doc = _bulletin(request.auth, bulletin_id)
    services.bulletin_revoke(actor=request.auth, document=doc, reason=payload.reason)
    return _bulletin(request.auth, bulletin_id)


@router.post(
    "/documents/{int:document_id}/publish",
    response=PublishedOut,
    summary="在公开页公开一份有效的签发文件（通报或单位文书）/ Publish an issued document",
    auth=allowed("reports.publish"),
)
def publish_document(request: ApiRequest, document_id: int):
    doc = IssuedDocument.objects.defer("pdf", "xlsx").filter(pk=document_id).first()
    if doc is None:  # park-wide: the bureau publishes any document
        raise Http404("记录不存在或不在您的权限范围内")
    return services.bulletin_publish(actor=request.auth, document=doc)
