"""Background job routes: a job's status, progress and result, and running a stopped job again
(scoped like its page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema

from totalquota.api.core import ApiRequest, allowed
from totalquota.jobs import services
from totalquota.jobs.selectors import job_for

router = Router(tags=["后台任务 jobs"])


class JobRowError(Schema):
    row: Any = Field(None, description="出错的行号（表格中的行）")
    column: str = ""
    value: str = ""
    message: str = ""


class JobLink(Schema):
    label: str
    url: str = Field(description="本站页面的路径，如导入批次的详情页")


class JobOut(Schema):
    id: int
    kind: str = Field(description="任务类型代码，如 emissions.source_import")
    kind_label: str
    status: str = Field(description="queued 排队中、running 运行中、done 已完成、failed 失败")
    progress_done: int
    progress_total: int | None = Field(description="总数；尚未读出时为 null")
    percent: int | None
    message: str
    attempt: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    summary: str = Field("", description="结果说明")
    counts: dict[str, int] = Field(default_factory=dict, description="结果计数（名称 → 数量）")
    errors: list[JobRowError] = Field(
        default_factory=list, description="行错误（最多前 200 条，全部见结果文件）"
    )
    error_count: int = 0
    links: list[JobLink] = Field(default_factory=list, description="任务写入的记录所在的页面")
    result: dict[str, Any] = Field(
        default_factory=dict,
        description="任务的完整结果（纯 JSON，各类任务自定，如外部数据导入的批次编号 batch_id）",
    )
    input_name: str
    input_sha256: str
    result_name: str
    stale: bool = Field(description="排队或运行超过租约而无进展：后台可能已中断，可重新运行")

    @staticmethod
    def resolve_summary(job) -> str:
        return str((job.result or {}).get("summary", ""))

    @staticmethod
    def resolve_counts(job) -> dict[str, int]:
        counts = (job.result or {}).get("counts") or {}
        return {str(k): int(v) for k, v in counts.items() if isinstance(v, int)}

    @staticmethod
    def resolve_errors(job) -> list[dict[str, Any]]:
        return list((job.result or {}).get("errors") or [])

    @staticmethod
    def resolve_error_count(job) -> int:
        return int((job.result or {}).get("error_count") or 0)

    @staticmethod
    def resolve_stale(job) -> bool:
        return job.is_stale


@router.get("/jobs/{int:job_id}", response=JobOut, summary="后台任务的状态、进度与结果", url_name="job")
def get_job(request: ApiRequest, job_id: int):
    return job_for(request.auth, job_id)


@router.post(
    "/jobs/{int:job_id}/rerun",
    response=JobOut,
    summary="重新运行中断的后台任务（排队或运行超过租约未更新）/ Run a stopped job again",
    auth=allowed("jobs.rerun"),
)
def rerun_job(request: ApiRequest, job_id: int):
    """A job still running within its lease, or finished, is not run again: 409."""
    return services.job_rerun(actor=request.auth, job=job_for(request.auth, job_id, "jobs.rerun"))
