"""外部系统事件 pages: the list (search, filters by source, kind and state, XLSX export) and one
event with its payload and what it did. Read only: the partner systems post through the API."""

from __future__ import annotations

import json

import django_filters
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from totalquota.accounts.permissions import require
from totalquota.inbound.models import InboundEvent, Kind, Outcome, Source
from totalquota.inbound.selectors import RELATED, event_for
from totalquota.web.lists import Column, ScopedListView, model_columns


class InboundEventFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(label=gettext_lazy("来源系统"), choices=Source.choices)
    kind = django_filters.ChoiceFilter(label=gettext_lazy("事件类型"), choices=Kind.choices)
    state = django_filters.ChoiceFilter(label=gettext_lazy("处理结果"), choices=Outcome.choices)

    class Meta:
        model = InboundEvent
        fields = ["source", "kind", "state"]


class InboundEventListView(ScopedListView):
    model = InboundEvent
    action = "inbound.view"
    title = gettext_lazy("外部系统事件")
    related = RELATED
    search_fields = ["event_id", "result", "enterprise__name", "enterprise__uscc", "client__username"]
    search_placeholder = gettext_lazy("事件编号、单位名称、信用代码、处理说明")
    filterset_class = InboundEventFilter
    export_name = gettext_lazy("外部系统事件")
    columns = model_columns(
        InboundEvent,
        Column(gettext_lazy("来源事件编号"), "event_id", link=True),
        "source kind received_at enterprise.name state",
        Column(gettext_lazy("处理说明"), "result_text"),
    )


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "inbound.view")
    event = event_for(request.user, pk)
    return render(
        request,
        "inbound/detail.html",
        {
            "event": event,
            "title": f"{event.get_kind_display()} {event.event_id}",
            "payload_text": json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True),
        },
    )
