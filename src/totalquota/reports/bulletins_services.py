"""Writes of bulletins: starting a generation (a background job), issuing what it computed (a new
document, or the next version superseding the valid one), publishing, revoking.

Issuing is quick (one series row, one document row, the counter); computing and drawing are slow,
so they run in the job ``reports.bulletin`` (:func:`run_bulletin_job`): figures per zone with the
progress bar moving, then the issue and the job's "done" in one transaction (``ctx.commit``), then
the two files drawn and stored once, outside it.

Lock order (``ledger.services``): the bulletin's series row (the subject's row, step 1), then the
document row and the (kind, year) counter that the documents services take.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from totalquota import outbox
from totalquota.accounts.permissions import Principal, require, zone_visible
from totalquota.documents.models import DocumentKind, DocumentState, IssuedDocument
from totalquota.documents.selectors import valid_document
from totalquota.documents.services import (
    document_files,
    document_issue,
    document_publish,
    document_revoke,
    document_supersede,
)
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed
from totalquota.registry.models import Zone
from totalquota.reports.bulletins import bulletin_figures, known_at_for
from totalquota.reports.models import BulletinKind, BulletinSeries

JOB_KIND = "reports.bulletin"


def bulletin_check(*, kind: Any, start: Any, end: Any, zone: Zone | None) -> tuple[str, dt.date, dt.date]:
    """The bulletin's kind and period, checked before anything is written: a known kind, dates in
    the platform's range, the start not after the end, the end not in the future, the period from
    2021 on (SCOPE-1), a zone that is active."""
    if kind not in BulletinKind.values:
        raise ValidationFailed(
            gettext("通报种类应为：") + "、".join(str(k.label) for k in BulletinKind), field="kind"
        )
    start = dates.QUERY_DAY.check(start, label="期间起", field="start")
    end = dates.QUERY_DAY.check(end, label="期间止", field="end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise ValidationFailed(gettext("请填写通报期间的起止日期"), field="start")
    if start > end:
        raise ValidationFailed(gettext("起始日期不能晚于截止日期"), field="end")
    if end > timezone.localdate():
        raise ValidationFailed(gettext("通报期间不能晚于今天：只通报已经发生的情况"), field="end")
    if start < dates.SCOPE_START:
        raise ValidationFailed(gettext("通报期间自 2021 年起（SCOPE-1）"), field="start", clause="SCOPE-1")
    if zone is not None and not zone.is_active:
        raise ValidationFailed(gettext("该功能区已停用"), field="zone")
    return kind, start, end


def bulletin_start(*, actor: Principal, kind: Any, start: Any, end: Any, zone: Zone | None = None) -> Any:
    """Start computing and issuing a bulletin as a background job; refused before any job exists:
    a role that may not issue bulletins, a bad kind or period."""
    from totalquota.jobs.services import job_start

    require(actor, "reports.issue_bulletin")
    kind, start, end = bulletin_check(kind=kind, start=start, end=end, zone=zone)
    if zone is not None and not zone_visible(actor, zone.pk):
        raise Forbidden(gettext("该功能区不在您的权限范围内"))
    return job_start(
        actor=actor,
        kind=JOB_KIND,
        params={
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "zone": zone.pk if zone else None,
        },
        zone=zone,
    )


def _series(
    *, actor: Principal, kind: str, start: dt.date, end: dt.date, zone: Zone | None
) -> BulletinSeries:
    found = BulletinSeries.objects.filter(kind=kind, zone=zone, start=start, end=end).first()
    if found is None:
        try:
            with transaction.atomic():
                found = BulletinSeries.objects.create(
                    kind=kind, zone=zone, start=start, end=end, created_by=actor.user
                )
        except IntegrityError:  # written meanwhile by another issue of the same bulletin
            found = BulletinSeries.objects.get(kind=kind, zone=zone, start=start, end=end)
    # Lock order step 1: the subject's row, so two issues of one bulletin take turns.
    return BulletinSeries.objects.select_for_update().get(pk=found.pk)


def _same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def strip(f: dict[str, Any]) -> dict[str, Any]:
        return {**f, "basis": {k: v for k, v in f["basis"].items() if k != "known_at"}}

    return strip(a) == strip(b)


@transaction.atomic
def bulletin_issue(
    *,
    actor: Principal,
    kind: str,
    start: dt.date,
    end: dt.date,
    zone: Zone | None,
    figures: dict[str, Any],
    issued_on: dt.date | None = None,
) -> IssuedDocument:
    """Issue the bulletin stating ``figures`` (computed by :func:`bulletin_figures`): the first
    version, or the next one superseding the valid version. Refused (409) when the valid version
    already states the same (only the moment it was known at differs)."""
    require(actor, "reports.issue_bulletin")
    kind, start, end = bulletin_check(kind=kind, start=start, end=end, zone=zone)
    series = _series(actor=actor, kind=kind, start=start, end=end, zone=zone)
    current = valid_document(series, DocumentKind.BULLETIN)
    day = issued_on or timezone.localdate()
    if current is None:
        document = document_issue(
            actor=actor,
            kind=DocumentKind.BULLETIN,
            subject=series,
            issued_on=day,
            figures=figures,
            holder=figures["issuer"],
            subject_label=series.label,
        )
    elif _same_content(current.figures, figures):
        raise Conflict(
            gettext("现行版本 {code} 的内容与重新计算的结果相同，无需重新签发").format(code=current.code)
        )
    else:
        document = document_supersede(actor=actor, document=current, issued_on=day, figures=figures)
    _issued(actor, series, document, current)
    return document


BULLETIN_ISSUED = "reports.bulletin.issued"


def _issued(
    actor: Principal, series: BulletinSeries, document: IssuedDocument, superseded: IssuedDocument | None
) -> None:
    """Tell the outbox a bulletin was issued (``reports.bulletin.issued``), in the issue's
    transaction (for webhooks): its number, version, kind, period, zone and the version it replaces."""
    outbox.emit(
        BULLETIN_ISSUED,
        obj=document,
        actor=actor,
        payload={
            "code": document.code,
            "version": document.version,
            "kind": series.kind,
            "start": series.start.isoformat(),
            "end": series.end.isoformat(),
            "zone_id": series.zone_id,
            "issued_on": document.issued_on.isoformat(),
            "supersedes": superseded.code if superseded is not None else None,
            "url": reverse("reports:bulletin_detail", args=[document.pk]),
        },
    )


def _params(ctx: Any) -> tuple[str, dt.date, dt.date, Zone | None]:
    params = ctx.params
    try:
        kind = str(params["kind"])
        start = dt.date.fromisoformat(str(params["start"]))
        end = dt.date.fromisoformat(str(params["end"]))
        zone = Zone.objects.get(pk=params["zone"]) if params.get("zone") else None
    except (KeyError, TypeError, ValueError, Zone.DoesNotExist):
        raise ValidationFailed(gettext("任务参数不完整，请重新发起")) from None
    return kind, start, end, zone


def run_bulletin_job(ctx: Any) -> dict[str, Any]:
    """The job ``reports.bulletin``: the figures as known at the start of the computation minus
    the safety margin (:func:`~totalquota.reports.bulletins.known_at_for`), progress per zone,
    then the issue and "done" in one transaction, then the files drawn and stored."""
    from totalquota.documents.responses import verify_url

    actor = ctx.principal
    require(actor, "reports.issue_bulletin")
    kind, start, end, zone = _params(ctx)
    bulletin_check(kind=kind, start=start, end=end, zone=zone)
    known_at = known_at_for(timezone.now())
    probe = BulletinSeries(kind=kind, zone=zone, start=start, end=end)

    def progress(done: int, total: int, message: str) -> None:
        ctx.progress(done, total + 1, message=gettext("正在计算：{what}").format(what=message), force=True)

    figures = bulletin_figures(probe, known_at=known_at, user=actor.user, progress=progress)

    def write() -> dict[str, Any]:
        document = bulletin_issue(actor=actor, kind=kind, start=start, end=end, zone=zone, figures=figures)
        url = reverse("reports:bulletin_detail", args=[document.pk])
        return {
            "summary": gettext("已签发 {code}（第 {version} 版）").format(
                code=document.code, version=document.version
            ),
            "document": document.pk,
            "links": [{"label": gettext("查看通报"), "url": url}],
        }

    result = ctx.commit(write)
    document = IssuedDocument.objects.get(pk=result["document"])
    document_files(document=document, verify_url=verify_url(document.verification_code))
    return result


def bulletin_publish(*, actor: Principal, document: IssuedDocument) -> IssuedDocument:
    require(actor, "reports.publish")
    return document_publish(actor=actor, document=document)


def bulletin_revoke(*, actor: Principal, document: IssuedDocument, reason: str) -> IssuedDocument:
    require(actor, "reports.issue_bulletin")
    if document.kind != DocumentKind.BULLETIN:
        raise ValidationFailed(gettext("这里只能撤销通报"))
    return document_revoke(actor=actor, document=document, reason=reason)


__all__ = [
    "DocumentState",
    "bulletin_check",
    "bulletin_issue",
    "bulletin_publish",
    "bulletin_revoke",
    "bulletin_start",
]
