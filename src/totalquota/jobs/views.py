"""后台任务 pages: my jobs, a job's page with its progress bar (polled), its files, running it again."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import may, principal_of
from totalquota.common.files import download
from totalquota.jobs import kinds, services
from totalquota.jobs.models import Job, JobStatus
from totalquota.jobs.selectors import job_for, jobs_seen_by
from totalquota.lib.errors import DomainError
from totalquota.web.lists import Column, ScopedListView, model_columns


def kind_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(kind.label)) for code, kind in kinds.KINDS.items()), key=lambda c: c[1])


class JobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=JobStatus.choices)
    kind = django_filters.ChoiceFilter(label=gettext_lazy("任务类型"), choices=kind_choices)

    class Meta:
        model = Job
        fields = ["status", "kind"]


def progress_text(job: Job) -> str:
    if job.progress_total is None:
        return str(job.progress_done) if job.progress_done else ""
    return f"{job.progress_done} / {job.progress_total}"


class JobListView(ScopedListView):
    model = Job
    action = "jobs.view"
    title = gettext_lazy("后台任务")
    search_fields = ["input_name", "message", "kind", "owner__username", "owner__display_name"]
    search_placeholder = gettext_lazy("文件名、说明、发起人")
    filterset_class = JobFilter
    export_name = gettext_lazy("后台任务")
    columns = model_columns(
        Job,
        Column(gettext_lazy("任务编号"), "pk", link=True),
        Column(gettext_lazy("任务类型"), "kind_label"),
        "status",
        Column(gettext_lazy("进度"), progress_text),
        "input_name owner created_at finished_at",
    )

    def base_queryset(self):
        return jobs_seen_by(self.request.user).order_by("-created_at", "-id")


def _context(request: HttpRequest, job: Job) -> dict:
    return {
        "job": job,
        "title": _("后台任务 #%(pk)s：%(kind)s") % {"pk": job.pk, "kind": job.kind_label},
        "may_rerun": job.is_stale and may(request.user, "jobs.rerun"),
    }


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_for(request.user, pk)
    return render(request, "jobs/detail.html", _context(request, job))


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status, progress bar and result of a job: the fragment the job's page polls every second
    while the job is queued or running (the fragment of a finished job polls no more)."""
    job = job_for(request.user, pk)
    return render(request, "jobs/_progress.html", _context(request, job))


@login_required
def job_input(request: HttpRequest, pk: int) -> FileResponse:
    job = job_for(request.user, pk)
    if not job.input_file:
        raise Http404(_("文件不存在"))
    return download(job.input_file, content_type=job.input_content_type, filename=job.input_name)


@login_required
def job_result(request: HttpRequest, pk: int) -> FileResponse:
    job = job_for(request.user, pk)
    if not job.result_file:
        raise Http404(_("文件不存在"))
    name = job.result_name or (job.result_file.name or "").rsplit("/", 1)[-1]
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if name.endswith(".xlsx")
        else "application/octet-stream"
    )
    return download(job.result_file, content_type=content_type, filename=name)


@login_required
@require_POST
def job_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_for(request.user, pk, "jobs.rerun")
    try:
        services.job_rerun(actor=principal_of(request.user), job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已重新排队，稍后由后台继续处理"))
    return redirect("jobs:detail", pk=job.pk)
