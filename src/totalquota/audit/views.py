from __future__ import annotations

import json

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from totalquota.accounts.permissions import access
from totalquota.audit.models import AuditEvent
from totalquota.web.lists import Column, ScopedListView, model_columns


def _day_filter(label, lookup: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label, field_name="at", lookup_expr=lookup, widget=forms.DateInput(attrs={"type": "date"})
    )


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(label=gettext_lazy("操作"), lookup_expr="istartswith")
    object_type = django_filters.CharFilter(label=gettext_lazy("对象类型"), lookup_expr="iexact")
    since = _day_filter(gettext_lazy("起始日期"), "date__gte")
    until = _day_filter(gettext_lazy("截止日期"), "date__lte")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type"]


class AuditListView(ScopedListView):
    model = AuditEvent
    action = "audit.view"
    title = gettext_lazy("审计日志")
    search_fields = ["actor_label", "object_repr", "object_id", "request_id", "action"]
    search_placeholder = gettext_lazy("操作人、对象、请求编号")
    filterset_class = AuditFilter
    export_name = gettext_lazy("审计日志")
    paginate_by = 50
    columns = model_columns(
        AuditEvent,
        Column(gettext_lazy("序号"), "seq", link=True),
        "at actor_label role action object_type object_id",
        Column(gettext_lazy("对象"), "object_repr", css="wrap"),
        "request_id",
    )

    def base_queryset(self):
        # Newest first by id (the order events were written); ``seq`` is the chain position, given
        # right after commit, so the two agree except between transactions committing together.
        return AuditEvent.objects.select_related("link").order_by("-id")


@login_required
def event_detail(request, pk: int):
    event = access(request.user, AuditEvent, pk, "audit.view")
    link = event.chain_link
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "link": link,
            "title": f"#{event.seq or '—'}",
            "before": json.dumps(event.before, ensure_ascii=False, indent=2)
            if event.before is not None
            else "",
            "after": json.dumps(event.after, ensure_ascii=False, indent=2) if event.after is not None else "",
        },
    )
