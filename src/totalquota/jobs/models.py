"""后台任务: slow work (an import of ten thousand rows) run by the worker, with its progress.

A :class:`Job` is started by a person or a system (``jobs.services.job_start``), queued as a
django-tasks task after its transaction commits and run by ``manage.py db_worker``; the page of the
job shows its progress while it runs and its result afterwards, so its owner can leave and come
back. What a job does is its kind's (``jobs.kinds``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import DetailPage, optional_link, required_link


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
# Default of the setting JOBS_LEASE_SECONDS: a running job writes its progress at least every few
# seconds, so five minutes without a sign of life means its worker has stopped.
LEASE_SECONDS = 300


def lease() -> dt.timedelta:
    """How long a job may go without a sign of life before it may be run again."""
    return dt.timedelta(seconds=float(getattr(settings, "JOBS_LEASE_SECONDS", LEASE_SECONDS)))


INPUT_FOLDER = "jobs/inputs"
RESULT_FOLDER = "jobs/results"


def job_input_path(instance: Job, filename: str) -> str:
    # Stored under the digest, not the uploaded name: names are untrusted and may collide.
    return f"{INPUT_FOLDER}/{instance.input_sha256[:2]}/{instance.input_sha256}"


def job_result_path(instance: Job, filename: str) -> str:
    # One folder per job; a run again replaces the file of the run before.
    return f"{RESULT_FOLDER}/{instance.pk}/{filename}"


class Job(DetailPage):
    """后台任务: one run of a registered kind of slow work, its input, progress and result.

    ``status`` goes queued → running → done or failed. The worker claims a queued job (one worker,
    however many tasks were queued for it), counts ``attempt`` up and refreshes ``heartbeat_at``
    with every progress write; a job queued or running past its lease without a sign of life
    (``JOBS_LEASE_SECONDS``) may be run again (``jobs.services.job_rerun``), and the run that lost
    its lease can no longer write. ``progress_done`` of ``progress_total`` rows (``None`` while
    unknown) is what the progress bar shows.

    ``result`` is plain JSON written by the kind: ``summary`` (one sentence), ``counts`` (label →
    number), ``links`` (``label`` and ``url``: where the work's records are, e.g. the batch it
    wrote) and, for a refused input, ``errors`` (row, column, value, message; the first
    ``MAX_ERRORS_KEPT``) with ``error_count``; ``result_file`` is a download (an export, or the
    whole error list). The input file is kept under its SHA-256. Zone and unit are those of the
    work (the owner's, unless the kind names others): owners see their own jobs, the bureau all.
    """

    kind = models.CharField(_("任务类型"), max_length=64)
    owner = required_link(settings.AUTH_USER_MODEL, _("发起人"), related_name="+")
    owner_token = optional_link("accounts.ApiToken", _("接口令牌"), related_name="+")
    zone = optional_link("registry.Zone", _("功能区"), related_name="+")
    enterprise = optional_link("registry.Enterprise", _("排污单位"), related_name="+")
    language = models.CharField(_("语言"), max_length=16, default="zh-hans")
    params = models.JSONField(_("参数"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(_("状态"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveIntegerField(_("已处理"), default=0)
    progress_total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    input_file = models.FileField(_("上传文件"), upload_to=job_input_path, max_length=200, blank=True)
    input_name = models.CharField(_("文件名"), max_length=200, blank=True)
    input_size = models.BigIntegerField(_("大小（字节）"), null=True, blank=True)
    input_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    input_content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    result_file = models.FileField(_("结果文件"), upload_to=job_result_path, max_length=200, blank=True)
    result_name = models.CharField(_("结果文件名"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    attempt = models.PositiveIntegerField(_("运行次数"), default=0)

    scope_fields = {"zone": "zone_id", "enterprise": "enterprise_id"}
    detail_view = "jobs:detail"

    class Meta:
        verbose_name = verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="jobs_job_owner_created"),
            models.Index(fields=["status", "heartbeat_at"], name="jobs_job_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind_label}"

    @property
    def kind_label(self) -> str:
        """The kind's label in the page's language (the code itself for a kind not registered)."""
        from totalquota.jobs.kinds import label_of

        return label_of(self.kind)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, ``None`` while the total is unknown (100 once done)."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def links(self) -> list[dict[str, str]]:
        """The result's links to the records the job wrote (``label``, ``url``): paths of this
        site only, anything else in the result is left out."""
        found = (self.result or {}).get("links") if isinstance(self.result, dict) else None
        if not isinstance(found, list):
            return []
        return [
            {"label": str(link.get("label") or link["url"]), "url": link["url"]}
            for link in found
            if isinstance(link, dict)
            and isinstance(link.get("url"), str)
            and link["url"].startswith("/")
            and not link["url"].startswith("//")
        ]

    @property
    def is_stale(self) -> bool:
        """Queued or running past its lease with no sign of life: its worker has stopped (or never
        took it), and it may be run again."""
        if self.status == JobStatus.RUNNING:
            since = self.heartbeat_at or self.started_at or self.queued_at
        elif self.status == JobStatus.QUEUED:
            since = self.queued_at
        else:
            return False
        return since < timezone.now() - lease()
