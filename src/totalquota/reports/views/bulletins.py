"""通报 pages (RED-5, RES-3, SUP-4): the list, the issue form (a background job), a bulletin's page
with its figures, versions, verification and actions, its files, and the public page (no login)
listing what the bureau published."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from totalquota.accounts.permissions import access, in_zones, may, principal_of, require, restrict
from totalquota.documents.models import DocumentState, IssuedDocument
from totalquota.documents.responses import send_file, verify_url
from totalquota.documents.selectors import documents_of
from totalquota.lib import dates
from totalquota.lib.errors import DomainError
from totalquota.registry.models import Zone
from totalquota.reports import bulletins
from totalquota.reports import bulletins_services as services
from totalquota.reports.bulletins_render import PDF_MAX_ROWS, chart_number
from totalquota.reports.models import Bulletin, BulletinKind, BulletinSeries
from totalquota.web.forms import form_page, post_action
from totalquota.web.lists import Button, Column, ScopedListView, model_columns

VIEW = "reports.view_bulletins"
SCREEN_ROWS = 200  # rows of a table shown on the page; the files hold all of them


def visible_series(user) -> QuerySet[BulletinSeries]:
    return restrict(user, BulletinSeries.objects.all(), VIEW)


def bulletin_for(user, pk) -> Bulletin:
    """The bulletin ``pk`` if ``user`` may read it (its series in their scope), else 403/404."""
    require(user, VIEW)
    doc = access(user, Bulletin.objects.all(), pk, VIEW)
    if not visible_series(user).filter(pk=doc.subject_id).exists():
        raise Http404(_("记录不存在或不在您的权限范围内"))
    return doc


def _series_of(doc: IssuedDocument) -> BulletinSeries:
    return BulletinSeries.objects.select_related("zone").get(pk=doc.subject_id)


class BulletinFilter(django_filters.FilterSet):
    bulletin_kind = django_filters.ChoiceFilter(
        label=gettext_lazy("通报种类"), choices=BulletinKind.choices, method="by_kind"
    )
    state = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=DocumentState.choices)
    period_from = django_filters.DateFilter(
        label=gettext_lazy("期间不早于"), method="by_start", widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = django_filters.DateFilter(
        label=gettext_lazy("期间不晚于"), method="by_end", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Bulletin
        fields = ["state"]

    def _series(self, queryset, **lookup):
        return queryset.filter(subject_id__in=BulletinSeries.objects.filter(**lookup).values("pk"))

    def by_kind(self, queryset, name, value):
        return self._series(queryset, kind=value) if value else queryset

    def by_start(self, queryset, name, value):
        return self._series(queryset, start__gte=value) if value else queryset

    def by_end(self, queryset, name, value):
        return self._series(queryset, end__lte=value) if value else queryset


class BulletinListView(ScopedListView):
    model = Bulletin
    action = VIEW
    title = gettext_lazy("通报")
    search_fields = ["code", "subject_label"]
    search_placeholder = gettext_lazy("文号、通报名称")
    filterset_class = BulletinFilter
    export_name = gettext_lazy("通报")
    columns = model_columns(
        Bulletin,
        Column(gettext_lazy("文号"), "code", link=True),
        "version",
        Column(gettext_lazy("通报"), "subject_label"),
        Column(gettext_lazy("状态"), lambda d: d.get_state_display()),
        "issued_on",
        Column(gettext_lazy("公开时间"), "published_at"),
    )
    buttons = [Button("reports.issue_bulletin", gettext_lazy("生成通报"), "reports:bulletin_issue")]

    def base_queryset(self):
        return Bulletin.objects.filter(
            subject_id__in=visible_series(self.request.user).values("pk")
        ).order_by("-issued_at", "-id")


class IssueForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("通报种类"), choices=BulletinKind.choices)
    start = dates.form_field(
        dates.QUERY_DAY, gettext_lazy("期间起"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = dates.form_field(
        dates.QUERY_DAY, gettext_lazy("期间止"), widget=forms.DateInput(attrs={"type": "date"})
    )
    zone = forms.ModelChoiceField(
        label=gettext_lazy("功能区"),
        queryset=Zone.objects.none(),
        required=False,
        empty_label=gettext_lazy("全园区"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = in_zones(  # type: ignore[attr-defined]
            principal_of(user), Zone.objects.filter(is_active=True).order_by("sort_order", "code")
        )
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


@login_required
def bulletin_issue(request: HttpRequest) -> HttpResponse:
    """The form starting a bulletin's computation; the page then moves to the job's progress bar."""
    principal = require(request.user, "reports.issue_bulletin")
    today = timezone.localdate()
    form = IssueForm(
        request.POST or None,
        user=request.user,
        initial={
            "kind": request.GET.get("kind") or BulletinKind.SUPERVISION,
            "start": today.replace(month=1, day=1),
            "end": today,
        },
    )

    def save(data):
        return services.bulletin_start(
            actor=principal, kind=data["kind"], start=data["start"], end=data["end"], zone=data["zone"]
        )

    return form_page(
        request,
        form,
        save=save,
        done=lambda job: redirect("jobs:detail", job.pk),
        title=_("生成通报"),
        cancel_url=reverse("reports:bulletin_list"),
        invalid_status=422,
        intro=_("通报在后台计算并签发，页面将显示进度；可以离开页面，稍后在后台任务或通报列表中找到文件。"),
        submit_label=_("开始生成"),
    )


def _screen_tables(figures: dict) -> list[dict]:
    tables = []
    for t in figures.get("tables", []):
        rows = t["rows"]
        tables.append(
            {
                "title": t["title"],
                "headers": t["headers"],
                "rows": [[bulletins.cell_text(c) for c in r] for r in rows[:SCREEN_ROWS]],
                "count": len(rows),
                "cut": len(rows) > SCREEN_ROWS,
            }
        )
    return tables


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = bulletin_for(request.user, pk)
    series = _series_of(doc)
    context = {
        "title": doc.subject_label,
        "doc": doc,
        "series": series,
        "figures": doc.figures,
        "tables": _screen_tables(doc.figures),
        "screen_rows": SCREEN_ROWS,
        "pdf_rows": PDF_MAX_ROWS,
        "versions": documents_of(series, doc.kind).select_related("issued_by"),
        "verify_url": verify_url(doc.verification_code, request),
        "may_issue": may(request.user, "reports.issue_bulletin"),
        "may_publish": may(request.user, "reports.publish") and doc.published_at is None and doc.is_valid,
        "chart": {
            "categories": doc.figures.get("chart", {}).get("categories", []),
            "series": [
                {"name": s["name"], "values": [str(chart_number(v)) for v in s["values"]]}
                for s in doc.figures.get("chart", {}).get("series", [])
            ],
            "title": doc.figures.get("chart", {}).get("title", ""),
        },
    }
    return render(request, "reports/bulletin_detail.html", context)


@login_required
def bulletin_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    doc = bulletin_for(request.user, pk)
    return send_file(doc, fmt, f"{doc.figures.get('title', '通报')}-{doc.code}", request)


@login_required
def bulletin_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw the bulletin again as known at its issue and say whether figures and digest match."""
    doc = bulletin_for(request.user, pk)
    outcome = bulletins.verify_bulletin(doc)
    return render(
        request,
        "reports/bulletin_check.html",
        {"title": _("核对通报"), "doc": doc, "outcome": outcome},
    )


@login_required
@require_POST
def bulletin_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute the same bulletin again with today's knowledge; issuing it supersedes this version."""
    principal = require(request.user, "reports.issue_bulletin")
    doc = bulletin_for(request.user, pk)
    series = _series_of(doc)
    try:
        job = services.bulletin_start(
            actor=principal, kind=series.kind, start=series.start, end=series.end, zone=series.zone
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reports:bulletin_detail", pk=doc.pk)
    return redirect("jobs:detail", job.pk)


@login_required
@require_POST
def bulletin_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    principal = require(request.user, "reports.issue_bulletin")
    doc = bulletin_for(request.user, pk)
    return post_action(
        request,
        lambda: services.bulletin_revoke(
            actor=principal, document=doc, reason=request.POST.get("reason", "")
        ),
        _("已撤销"),
        "reports:bulletin_detail",
        pk=doc.pk,
    )


@login_required
@require_POST
def document_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish any issued document on the public page (a bulletin, or a unit's document the bureau
    chooses to publish)."""
    principal = require(request.user, "reports.publish")
    doc = IssuedDocument.objects.defer("pdf", "xlsx").filter(pk=pk).first()
    if doc is None:
        raise Http404(_("记录不存在或不在您的权限范围内"))
    to = "reports:bulletin_detail" if doc.kind == "bulletin" else "reports:public"
    kwargs = {"pk": doc.pk} if doc.kind == "bulletin" else {}
    return post_action(
        request, lambda: services.bulletin_publish(actor=principal, document=doc), _("已公开"), to, **kwargs
    )


@never_cache
@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """What the bureau published (no login): each document with its verification page and files."""
    docs = (
        IssuedDocument.objects.defer("pdf", "xlsx", "figures")
        .filter(published_at__isnull=False)
        .order_by("-published_at", "-id")
    )
    text = request.GET.get("q", "").strip()
    if text:
        docs = docs.filter(subject_label__icontains=text) | docs.filter(code__icontains=text)
    return render(
        request, "reports/bulletin_public.html", {"title": _("公开文件"), "docs": docs[:200], "q": text}
    )
