"""Running a job in the worker: claiming it, its context (input rows, progress, the write) and its end.

Every write here is the worker's own and short: the claim and each progress write are single
conditional UPDATEs in their own transaction (so the job's page sees them at once), and each one
names the run (``status = running`` and this run's ``attempt``): a run that lost its lease to a
run again writes nothing more and stops (:class:`Superseded`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, principal_for_token, principal_for_user
from totalquota.common.xlsx import TableRows, write_workbook
from totalquota.jobs import kinds
from totalquota.jobs.models import Job, JobStatus
from totalquota.lib.errors import DomainError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Progress is written at most every PROGRESS_SECONDS (and at the end of the rows): often enough
# for a bar polled every second, rarely enough to cost nothing next to the rows themselves.
PROGRESS_SECONDS = 0.5
# Row errors kept in the job's result (and shown on its page); all of them are in its result file.
MAX_ERRORS_KEPT = 200
ERROR_COLUMNS = ("row", "column", "value", "message")


class Superseded(Exception):
    """This run lost its lease: the job was queued again (or finished by another run)."""


class JobContext:
    """What a kind's ``run`` works with: the job, the principal it acts as, the input's rows,
    progress, the one transaction that writes, and a result file."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.attempt = job.attempt
        self.params: dict[str, Any] = dict(job.params or {})
        self.finished = False
        self.done = job.progress_done  # the last progress reported (rows, or any unit of work)
        self._last_write = 0.0
        self._principal: Principal | None = None

    @property
    def principal(self) -> Principal:
        """Who the job acts as: its owner (through the token it was started with, if any)."""
        if self._principal is None:
            token = self.job.owner_token
            self._principal = (
                principal_for_token(token) if token is not None else principal_for_user(self.job.owner)
            )
        return self._principal

    def _mine(self):
        return Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING, attempt=self.attempt)

    def progress(
        self, done: int, total: int | None = None, *, message: str | None = None, force: bool = False
    ) -> None:
        """Report ``done`` of ``total`` (rows, or any unit of work); written at most every
        :data:`PROGRESS_SECONDS` unless ``force``, each write in its own short transaction
        (inside a transaction of the kind it waits for that one's commit). Raises
        :class:`Superseded` when this run lost its lease."""
        self.done = done
        now = time.monotonic()
        if not force and now - self._last_write < PROGRESS_SECONDS:
            return
        self._last_write = now
        changes: dict[str, Any] = {"progress_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            changes["progress_total"] = max(total, done)
        if message is not None:
            changes["message"] = message[:500]
        if not self._mine().update(**changes):
            raise Superseded(self.job.pk)

    def rows(
        self,
        *,
        headers: Sequence[str],
        optional: Sequence[str] = (),
        max_rows: int | None = None,
        message: str | None = None,
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """The input's data rows, streamed (:class:`~totalquota.common.xlsx.TableRows`: every one
        of ``headers``, any of ``optional``), with the progress reported as they go (rows handed to
        the kind, of the rows expected). A workbook whose stored bytes still have the digest taken
        when it was uploaded (and checked, :func:`~totalquota.jobs.services.check_job_input`) is
        not scanned again."""
        message = message if message is not None else gettext("正在读取并校验")
        with self.job.input_file.open("rb") as handle:
            unchanged = bool(self.job.input_sha256) and _sha256(handle) == self.job.input_sha256
            table = TableRows(
                handle, headers=headers, optional=optional, max_rows=max_rows, already_checked=unchanged
            )
            count = 0
            for number, row in table:
                count += 1
                # Rows handed to the kind so far (this one included), with the total expected.
                self.progress(count, table.total, message=message if count == 1 else None, force=count == 1)
                yield number, row
            self.progress(count, count, force=True)

    def commit(self, write: Callable[[], T]) -> T:
        """Run ``write()`` (the kind's writes, after every check has passed) in one transaction
        that also marks the job done with ``write``'s result: the rows and "done" commit together
        or not at all, so a run again after a crash never writes twice."""
        # The bar stays where the reading left it (not the claim's 0) while the write runs.
        self.progress(self.done, message=gettext("正在写入"), force=True)
        with transaction.atomic():
            # Lock order: the job row first, then what ``write`` locks (in the platform's order, see
            # ledger.services). The row lock keeps a run again from queueing the job meanwhile.
            job = Job.objects.select_for_update().get(pk=self.job.pk)
            if job.status != JobStatus.RUNNING or job.attempt != self.attempt:
                raise Superseded(self.job.pk)
            result = write()
            _finish(job, JobStatus.DONE, result if isinstance(result, dict) else {})
        self.finished = True
        return result

    def attach_file(self, name: str, file: Any) -> None:
        """Keep ``file`` as the job's result file (an export, a report), offered as ``name``."""
        _attach(self.job, name, file)


def _sha256(handle: Any) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 16):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _attach(job: Job, name: str, file: Any) -> None:
    file.seek(0)
    extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
    job.result_file.save(f"run{job.attempt}.{extension}", File(file), save=False)
    job.result_name = name
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name, result_name=name)


def _finish(job: Job, status: str, result: dict[str, Any], message: str = "") -> None:
    job.status = status
    job.result = result
    job.message = message[:500]
    job.finished_at = timezone.now()
    changes = {"status": status, "result": result, "message": job.message, "finished_at": job.finished_at}
    if status == JobStatus.DONE and job.progress_total is not None:
        changes["progress_done"] = job.progress_total
    Job.objects.filter(pk=job.pk).update(**changes)


def claim(job_id: int) -> Job | None:
    """Take job ``job_id`` for this run: one UPDATE from queued to running, so of two workers (or
    two tasks queued for one job) exactly one gets it; ``None`` when it is not queued."""
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        attempt=F("attempt") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        progress_done=0,
        message="",
    )
    if not taken:
        return None
    return Job.objects.select_related("owner", "owner_token").get(pk=job_id)


def _fail(ctx: JobContext, message: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
    """End the run as failed (unless it lost its lease), keeping the first row errors in the
    result and all of them in an XLSX result file."""
    errors = errors or []
    result: dict[str, Any] = {"summary": message, **extra}
    if errors:
        result["errors"] = [{k: e.get(k, "") for k in ERROR_COLUMNS} for e in errors[:MAX_ERRORS_KEPT]]
        result["error_count"] = len(errors)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=ctx.job.pk)
        if job.status != JobStatus.RUNNING or job.attempt != ctx.attempt:
            return
        if errors:
            headers = [gettext("行"), gettext("列"), gettext("内容"), gettext("问题")]
            rows = ([e.get(k, "") for k in ERROR_COLUMNS] for e in errors)
            _attach(job, gettext("错误清单.xlsx"), write_workbook([(gettext("错误清单"), headers, rows)]))
        _finish(job, JobStatus.FAILED, result, message)


def run(job_id: int) -> str:
    """Run job ``job_id`` if it is queued: its kind's ``run`` in the language it was started in.
    Returns what happened (``done``, ``failed``, ``skipped``, ``superseded``). A refusal of the
    kind (a :class:`DomainError`) fails the job with its message and row errors; anything else
    fails it with a plain message (the traceback goes to the log)."""
    job = claim(job_id)
    if job is None:
        return "skipped"
    ctx = JobContext(job)
    with translation.override(job.language):
        try:
            kind = kinds.get(job.kind)
            if kind is None:
                _fail(ctx, gettext("没有这种后台任务：{kind}").format(kind=job.kind))
                return "failed"
            try:
                ctx.principal  # noqa: B018  (a deactivated owner: refused before any work)
            except PermissionDenied as exc:
                _fail(ctx, str(exc))
                return "failed"
            result = kind.run(ctx)
        except Superseded:
            return "superseded"
        except DomainError as exc:
            _fail(ctx, str(exc), exc.errors)
            return "failed"
        except Exception:
            log.exception("job %s (%s) failed", job.pk, job.kind)
            _fail(ctx, gettext("任务意外中断，请稍后重新发起；如反复出现请联系管理员"), internal=True)
            return "failed"
        if not ctx.finished:
            with transaction.atomic():
                locked = Job.objects.select_for_update().get(pk=job.pk)
                if locked.status != JobStatus.RUNNING or locked.attempt != ctx.attempt:
                    return "superseded"
                _finish(locked, JobStatus.DONE, result or {})
        return "done"
