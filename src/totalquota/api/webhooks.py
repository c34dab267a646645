"""Webhook routes (外发事件订阅), for bureau administrators (their session, or a token with the
administrator's role): subscriptions listed, created, changed, deactivated, their secret rotated;
deliveries listed with their tries, replayed. The secret is answered once, by create and rotate."""

import datetime as dt

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.api.core import ApiRequest, Pages, allowed
from totalquota.webhooks import selectors, services
from totalquota.webhooks.models import WebhookDelivery, WebhookState, WebhookSubscription

ACTION = "webhooks.manage"
router = Router(tags=["外发事件订阅 webhooks"], auth=allowed(ACTION))


class SubscriptionOut(Schema):
    """A subscription as administrators see it: never its secret."""

    id: int
    name: str
    url: str
    topic_patterns: list[str] = Field(description="订阅主题：主题本身、“前缀.*”或“*”")
    active: bool
    created_at: dt.datetime
    secret_rotated_at: dt.datetime | None
    next_sequence: int = Field(description="下一条投递的序号")


class SubscriptionWithSecret(SubscriptionOut):
    secret: str = Field(description="签名密钥，只在创建和更换密钥时返回一次")


class SubscriptionIn(Schema):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500, description="http:// 或 https:// 开头的接收地址")
    topic_patterns: list[str] = Field(
        description='订阅主题，如 ["reserve.application.*", "reserve.warning.raised"]'
    )


class SubscriptionPatch(Schema):
    name: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=500)
    topic_patterns: list[str] | None = None
    active: bool | None = None


class AttemptOut(Schema):
    at: dt.datetime
    status_code: int | None = Field(description="接收方的响应码；无答复（超时、连接失败）为 null")
    duration_ms: int
    excerpt: str = Field(description="答复或错误的开头")
    ok: bool
    refused: bool = Field(
        description="未发送：接收地址指向本机、内网或保留地址（见 excerpt）/ not sent: a forbidden address"
    )
    replay: bool


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int = Field(description="事件编号（请求体的 id）")
    sequence: int
    topic: str
    state: str = Field(description="pending 待发送、done 已送达、failed 失败待重试、dead 已放弃")
    attempts: int
    next_attempt_at: dt.datetime
    last_status: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_attempt_log(delivery: WebhookDelivery) -> list:
        return list(delivery.attempt_log.all())


class DeliveryFilters(Schema):
    subscription: int | None = Field(None, description="订阅编号")
    state: WebhookState | None = Field(None, description="状态")
    topic: str = Field("", max_length=100, description="主题或其开头，如 reserve.")


def _subscription(request: ApiRequest, subscription_id: int) -> WebhookSubscription:
    subscription = selectors.subscriptions(request.auth).filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404
    return subscription


def _with_secret(subscription: WebhookSubscription, secret: str) -> dict:
    return {**SubscriptionOut.from_orm(subscription).dict(), "secret": secret}


@router.get("/webhooks/subscriptions", response=list[SubscriptionOut], summary="外发订阅")
@paginate(Pages, page_size=100)
def list_subscriptions(request: ApiRequest, active: bool | None = None):
    qs = selectors.subscriptions(request.auth).order_by("pk")
    return qs if active is None else qs.filter(active=active)


@router.post(
    "/webhooks/subscriptions",
    response={201: SubscriptionWithSecret},
    summary="新建外发订阅（返回密钥，仅此一次）",
)
def create_subscription(request: ApiRequest, payload: SubscriptionIn):
    subscription, secret = services.subscription_create(actor=request.auth, **payload.dict())
    return Status(201, _with_secret(subscription, secret))


@router.get("/webhooks/subscriptions/{int:subscription_id}", response=SubscriptionOut, summary="一个外发订阅")
def get_subscription(request: ApiRequest, subscription_id: int):
    return _subscription(request, subscription_id)


@router.patch(
    "/webhooks/subscriptions/{int:subscription_id}", response=SubscriptionOut, summary="修改外发订阅"
)
def update_subscription(request: ApiRequest, subscription_id: int, payload: SubscriptionPatch):
    subscription = _subscription(request, subscription_id)
    return services.subscription_update(actor=request.auth, subscription=subscription, **payload.dict())


@router.post(
    "/webhooks/subscriptions/{int:subscription_id}/deactivate",
    response=SubscriptionOut,
    summary="停用外发订阅",
)
def deactivate_subscription(request: ApiRequest, subscription_id: int):
    subscription = _subscription(request, subscription_id)
    return services.subscription_deactivate(actor=request.auth, subscription=subscription)


@router.post(
    "/webhooks/subscriptions/{int:subscription_id}/rotate-secret",
    response=SubscriptionWithSecret,
    summary="更换签名密钥（返回新密钥，仅此一次）",
)
def rotate_secret(request: ApiRequest, subscription_id: int):
    subscription, secret = services.secret_rotate(
        actor=request.auth, subscription=_subscription(request, subscription_id)
    )
    return _with_secret(subscription, secret)


@router.post(
    "/webhooks/subscriptions/{int:subscription_id}/ping",
    response={202: SubscriptionOut},
    summary="发送测试事件 webhook.ping",
)
def ping_subscription(request: ApiRequest, subscription_id: int):
    subscription = _subscription(request, subscription_id)
    services.send_test_event(actor=request.auth, subscription=subscription)
    return Status(202, subscription)


@router.get("/webhooks/deliveries", response=list[DeliveryOut], summary="投递记录（最新在前），含每次尝试")
@paginate(Pages, page_size=100)
def list_deliveries(request: ApiRequest, filters: Query[DeliveryFilters]):
    return selectors.deliveries(
        request.auth,
        subscription_id=filters.subscription,
        state=filters.state or "",
        topic=filters.topic,
    ).prefetch_related("attempt_log")


@router.post(
    "/webhooks/deliveries/{int:delivery_id}/replay",
    response=DeliveryOut,
    summary="重发一条投递（相同的 id 和 sequence）",
)
def replay_delivery(request: ApiRequest, delivery_id: int):
    delivery = selectors.deliveries(request.auth).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    services.delivery_replay(actor=request.auth, delivery=delivery)
    return selectors.deliveries(request.auth).prefetch_related("attempt_log").get(pk=delivery_id)
