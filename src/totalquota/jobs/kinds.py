"""The kinds of background job: what each does, who may start it and which input it takes.

An app registers its kinds when it is imported (from its ``AppConfig.ready``), so that the web
process (which starts jobs) and the worker (which runs them) both know them::

    from totalquota.jobs import kinds

    def run_report_import(ctx: kinds.JobContext) -> dict:
        rows = []
        problems = []
        for number, row in ctx.rows(headers=HEADERS):       # streams, and reports progress
            ...                                            # parse and check every row first
        if problems:
            raise ValidationFailed(gettext("…未写入任何数据"), errors=problems)  # nothing written
        return ctx.commit(lambda: write_all(ctx.principal, rows))  # one transaction, with "done"

    kinds.register(
        "emissions.source_import", gettext_lazy("排放报告导入"), run=run_report_import,
        permission="emissions.import", accepts=("xlsx", "csv"),
    )

``run`` gets a :class:`~totalquota.jobs.runner.JobContext` and returns the job's result (plain
JSON: ``summary``, ``counts``, anything else the kind shows). A :class:`~totalquota.lib.errors.DomainError`
it raises ends the job as failed, with its message and row errors shown on the job's page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from totalquota.jobs.runner import JobContext

__all__ = ["JobContext", "JobKind", "get", "label_of", "register", "unregister"]


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its code (``<app>.<what>``), label, the function that runs it, the
    permission needed to start it and the input files it takes (``"xlsx"``, ``"csv"``; none for a
    job without a file). ``check_input(upload)``, if given, is the kind's quick look at an upload
    once it passed the generic checks (its header row, say), when the job is started: a
    :class:`~totalquota.lib.errors.DomainError` it raises refuses the upload before any job
    exists."""

    code: str
    label: Any
    run: Callable[[JobContext], dict[str, Any] | None]
    permission: str
    accepts: tuple[str, ...] = ()
    check_input: Callable[[Any], None] | None = None


KINDS: dict[str, JobKind] = {}


def register(
    code: str,
    label: Any,
    *,
    run: Callable[[JobContext], dict[str, Any] | None],
    permission: str,
    accepts: tuple[str, ...] = (),
    check_input: Callable[[Any], None] | None = None,
) -> JobKind:
    if code in KINDS:
        raise ValueError(f"job kind {code} registered twice")
    if not code or len(code) > 64:
        raise ValueError(f"job kind {code!r}: a code of 1 to 64 characters")
    unknown = set(accepts) - {"xlsx", "csv"}
    if unknown:
        raise ValueError(f"job kind {code}: unknown input types {sorted(unknown)}")
    if check_input is not None and not accepts:
        raise ValueError(f"job kind {code}: check_input without an input file")
    kind = JobKind(code, label, run, permission, tuple(accepts), check_input)
    KINDS[code] = kind
    return kind


def unregister(code: str) -> None:
    """Remove a kind (tests register kinds of their own)."""
    KINDS.pop(code, None)


def get(code: str) -> JobKind | None:
    return KINDS.get(code)


def label_of(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind is not None else code


def __getattr__(name: str) -> Any:
    if name == "JobContext":  # ``kinds.JobContext`` in a kind's annotations, without an import cycle
        from totalquota.jobs.runner import JobContext

        return JobContext
    raise AttributeError(name)
