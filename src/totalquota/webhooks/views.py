"""外发事件订阅 pages (bureau administrators): subscriptions, their delivery log with each try,
and the buttons (deactivate, rotate the secret, send a test event, replay)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, principal_of, require
from totalquota.web.forms import form_page, post_action, saved
from totalquota.web.lists import Button, Column, PageAction, ScopedListView, model_columns
from totalquota.webhooks import selectors, services, topics
from totalquota.webhooks.forms import SubscriptionForm
from totalquota.webhooks.models import WebhookDelivery, WebhookState, WebhookSubscription

ACTION = "webhooks.manage"


class SubscriptionListView(ScopedListView):
    model = WebhookSubscription
    action = ACTION
    title = gettext_lazy("外发事件订阅")
    search_fields = ["name", "url"]
    search_placeholder = gettext_lazy("名称或接收地址")
    columns = model_columns(
        WebhookSubscription,
        Column(gettext_lazy("名称"), "name", link=True),
        "url",
        Column(gettext_lazy("订阅主题"), "patterns_text"),
        "active next_sequence created_at",
    )
    ordering = "pk"
    template_name = "webhooks/subscription_list.html"
    buttons = [Button(ACTION, gettext_lazy("新建订阅"), "webhooks:create")]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["shared_topics"] = topics.SHARED
        return context


def _secret_page(
    request: HttpRequest, subscription: WebhookSubscription, secret: str, title: str
) -> HttpResponse:
    return render(
        request, "webhooks/secret.html", {"subscription": subscription, "secret": secret, "title": title}
    )


@login_required
def subscription_create(request: HttpRequest) -> HttpResponse:
    principal = require(request.user, ACTION)
    return form_page(
        request,
        SubscriptionForm(request.POST or None),
        save=lambda data: services.subscription_create(
            actor=principal, name=data["name"], url=data["url"], topic_patterns=data["topic_patterns"]
        ),
        done=lambda made: _secret_page(request, made[0], made[1], _("订阅已创建")),
        title=_("新建外发订阅"),
        cancel_url=reverse("webhooks:list"),
        intro=_("签名密钥只在创建后显示一次；接收方用它验证每个请求的 X-Quota-Signature。"),
    )


@login_required
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access(request.user, WebhookSubscription, pk, ACTION)
    initial = {
        "name": subscription.name,
        "url": subscription.url,
        "topic_patterns": "\n".join(subscription.topic_patterns),
        "active": subscription.active,
    }
    return form_page(
        request,
        SubscriptionForm(request.POST or None, initial=initial),
        save=lambda data: services.subscription_update(
            actor=principal_of(request.user), subscription=subscription, **data
        ),
        done=lambda s: saved(request, _("已保存订阅。"), "webhooks:detail", pk=s.pk),
        title=_("修改外发订阅"),
        cancel_url=subscription.get_absolute_url(),
    )


class DeliveryFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=WebhookState.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["state"]


class SubscriptionDetailView(ScopedListView):
    """A subscription and its delivery log (newest first): searchable by topic, exportable."""

    model = WebhookDelivery
    action = ACTION
    search_fields = ["topic"]
    search_placeholder = gettext_lazy("主题")
    filterset_class = DeliveryFilter
    related = ("event",)
    columns = model_columns(
        WebhookDelivery,
        Column(gettext_lazy("序号"), "sequence", link=True),
        Column(gettext_lazy("事件编号"), "event_id"),
        "topic state attempts last_status last_error created_at delivered_at next_attempt_at",
    )
    template_name = "webhooks/subscription_detail.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            self.subscription = access(request.user, WebhookSubscription, kwargs["pk"], ACTION)
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("外发订阅：%(name)s") % {"name": self.subscription.name}

    def base_queryset(self) -> QuerySet[WebhookDelivery]:
        return super().base_queryset().filter(subscription=self.subscription).order_by("-sequence")

    def page_actions(self) -> list[PageAction]:
        return [
            PageAction(_("修改"), reverse("webhooks:edit", args=[self.subscription.pk]), icon="bi-pencil")
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["subscription"] = self.subscription
        context["counts"] = selectors.delivery_counts(self.subscription.pk)
        return context


@login_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = access(
        request.user, WebhookDelivery.objects.select_related("subscription", "event"), pk, ACTION
    )
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": selectors.attempts_of(delivery),
            "title": _("投递 #%(n)s") % {"n": delivery.sequence},
            "replayable": delivery.attempts > 0 or delivery.state in (WebhookState.DONE, WebhookState.DEAD),
        },
    )


@login_required
@require_POST
def subscription_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access(request.user, WebhookSubscription, pk, ACTION)
    return post_action(
        request,
        lambda: services.subscription_deactivate(actor=principal_of(request.user), subscription=subscription),
        _("订阅 %(name)s 已停用。") % {"name": subscription},
        "webhooks:detail",
        pk=subscription.pk,
    )


@login_required
@require_POST
def subscription_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access(request.user, WebhookSubscription, pk, ACTION)
    subscription, secret = services.secret_rotate(actor=principal_of(request.user), subscription=subscription)
    return _secret_page(request, subscription, secret, _("签名密钥已更换"))


@login_required
@require_POST
def subscription_ping(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access(request.user, WebhookSubscription, pk, ACTION)
    return post_action(
        request,
        lambda: services.send_test_event(actor=principal_of(request.user), subscription=subscription),
        _("已发出测试事件 webhook.ping，稍后可在投递记录中查看结果。"),
        "webhooks:detail",
        pk=subscription.pk,
    )


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = access(request.user, WebhookDelivery, pk, ACTION)
    return post_action(
        request,
        lambda: services.delivery_replay(actor=principal_of(request.user), delivery=delivery),
        _("已安排重发，序号 %(n)s。") % {"n": delivery.sequence},
        "webhooks:delivery",
        pk=delivery.pk,
    )
