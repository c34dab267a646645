"""Starting a job and running a stopped one again (the writes people make); the worker's own
writes (claiming, progress, the end) are in :mod:`totalquota.jobs.runner`."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require, zone_visible
from totalquota.audit.services import record, snapshot
from totalquota.common.files import Sniffed, safe_name, storing
from totalquota.common.xlsx import XLSX_CONTENT_TYPE, check_untrusted_xlsx, is_xlsx
from totalquota.jobs import kinds
from totalquota.jobs.models import Job, JobStatus, job_input_path, lease  # noqa: F401  (lease: re-exported)
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed

CSV_CONTENT_TYPE = "text/csv"
AUDITED = ["kind", "owner", "zone", "enterprise", "input_name", "input_sha256", "status", "attempt"]


def check_job_input(upload: Any, accepts: tuple[str, ...]) -> Sniffed:
    """The size limit (``UPLOAD_MAX_BYTES``) and the content of an uploaded table: a workbook that
    passes :func:`~totalquota.common.xlsx.check_untrusted_xlsx`, or (when ``csv`` is accepted) a
    text file with no NUL byte; its SHA-256 read in chunks. Nothing is stored."""
    if upload is None:
        raise ValidationFailed(gettext("请选择要上传的文件"), field="file")
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise RuleViolation(
            gettext("文件过大：单个文件不能超过 {v0:.0f} MB").format(v0=limit / 1048576), field="file"
        )
    digest = hashlib.sha256()
    total = 0
    upload.seek(0)
    while chunk := upload.read(1 << 16):
        digest.update(chunk)
        total += len(chunk)
    upload.seek(0)
    if total == 0:
        raise ValidationFailed(gettext("文件是空的"), field="file")
    if is_xlsx(upload) and "xlsx" in accepts:
        check_untrusted_xlsx(upload)
        return Sniffed(XLSX_CONTENT_TYPE, "xlsx", total, digest.hexdigest())
    if not is_xlsx(upload) and "csv" in accepts:
        head = upload.read(1 << 16)
        upload.seek(0)
        if b"\x00" in head:
            raise ValidationFailed(
                gettext("文件不是文本格式的 CSV，请另存为 .csv 或 .xlsx 后上传"), field="file"
            )
        return Sniffed(CSV_CONTENT_TYPE, "csv", total, digest.hexdigest())
    labels = "、".join({"xlsx": ".xlsx", "csv": ".csv"}[a] for a in accepts)
    raise ValidationFailed(gettext("文件类型不符：请上传 {types} 文件").format(types=labels), field="file")


def _scope_of(actor: Principal, zone: Any, enterprise: Any) -> tuple[int | None, int | None]:
    """The zone and unit (ids) of a job: those named, within the actor's scope, else the actor's
    own (a unit's staff: their unit; a zone officer: the zone; the bureau: the whole park)."""
    if enterprise is not None:
        if actor.enterprise_id is not None and enterprise.pk != actor.enterprise_id:
            raise Forbidden(gettext("只能为本单位发起任务"))
        if not zone_visible(actor, enterprise.zone_id):
            raise Forbidden(gettext("该单位不在您的权限范围内"))
        return enterprise.zone_id, enterprise.pk
    if zone is not None:
        if actor.enterprise_id is not None or not zone_visible(actor, zone.pk):
            raise Forbidden(gettext("该功能区不在您的权限范围内"))
        return zone.pk, None
    if actor.enterprise_id is not None:
        return (next(iter(actor.zone_ids)) if actor.zone_ids else None), actor.enterprise_id
    if actor.zone_ids is None:
        return None, None  # park-wide work of the bureau
    if len(actor.zone_ids) == 1:
        return next(iter(actor.zone_ids)), None
    raise ValidationFailed(gettext("请选择任务所属的功能区"), field="zone")


def enqueue(job_id: int) -> None:
    """Queue the task that runs job ``job_id`` (after the commit that queued the job)."""
    from totalquota.jobs.tasks import run_job

    run_job.enqueue(job_id)


@transaction.atomic
def job_start(
    *,
    actor: Principal,
    kind: str,
    upload: Any = None,
    params: dict[str, Any] | None = None,
    zone: Any = None,
    enterprise: Any = None,
) -> Job:
    """Queue a job of ``kind`` for ``actor``, with its uploaded file (checked and kept under its
    digest) and ``params`` (plain JSON the kind reads); the worker runs it once this commits.
    Refused: a kind that does not exist, a role without the kind's permission, an input the kind
    does not take (or its ``check_input`` refuses), a zone or unit outside the actor's scope."""
    found_kind = kinds.get(kind)
    if found_kind is None:
        raise ValidationFailed(gettext("没有这种后台任务：{kind}").format(kind=kind), field="kind")
    require(actor, found_kind.permission)
    zone_id, enterprise_id = _scope_of(actor, zone, enterprise)
    found: Sniffed | None = None
    if found_kind.accepts:
        found = check_job_input(upload, found_kind.accepts)
        if found_kind.check_input is not None:
            found_kind.check_input(upload)  # the kind's own look (its header row), nothing kept yet
            upload.seek(0)
    elif upload is not None:
        raise ValidationFailed(gettext("这种任务不需要上传文件"), field="file")
    now = timezone.now()
    job = Job(
        kind=kind,
        owner=actor.user,
        owner_token_id=actor.token_id,
        zone_id=zone_id,
        enterprise_id=enterprise_id,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        params=params or {},
        created_at=now,
        queued_at=now,
    )
    if found is None:
        job.save()
    else:
        job.input_name = safe_name(getattr(upload, "name", ""))
        job.input_size = found.size
        job.input_sha256 = found.sha256
        job.input_content_type = found.content_type
        # Inputs are kept under their digest: the same file uploaded again is shared, not copied.
        with storing(job.input_file, upload, found, job_input_path(job, "")):
            job.save()
    record(actor=actor, action="jobs.start", obj=job, after=snapshot(job, AUDITED))
    # robust: the job has committed; if queueing fails it stays queued and may be run again.
    transaction.on_commit(lambda: enqueue(job.pk), robust=True)
    return job


@transaction.atomic
def job_rerun(*, actor: Principal, job: Job) -> Job:
    """Queue again a job whose worker stopped (queued or running past its lease). The run that lost
    its lease, should it wake, can no longer write: the next claim counts ``attempt`` up."""
    require(actor, "jobs.rerun")
    # Lock: the job row alone, the row a finishing run locks first; so a run committing its write
    # now either finishes before this (and the job is no longer stale) or finds the job queued.
    job = Job.objects.select_for_update().get(pk=job.pk)
    if not job.is_stale:
        raise Conflict(gettext("任务仍在进行或已经结束，不能重新运行"))
    before = snapshot(job, AUDITED)
    job.status = JobStatus.QUEUED
    job.queued_at = timezone.now()
    job.heartbeat_at = None
    job.progress_done = 0
    job.message = ""
    job.save(update_fields=["status", "queued_at", "heartbeat_at", "progress_done", "message"])
    record(actor=actor, action="jobs.rerun", obj=job, before=before, after=snapshot(job, AUDITED))
    transaction.on_commit(lambda: enqueue(job.pk), robust=True)
    return job
