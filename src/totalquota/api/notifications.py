"""API routes of the notifications area (站内信): the caller's own notifications, marking them read.

A person calls with their session, a system client with its token (the token's client account
is the recipient); another person's notification is 404, as if it did not exist."""

import datetime as dt

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from totalquota.api.core import ApiRequest, Pages, allowed
from totalquota.notifications import services
from totalquota.notifications.selectors import notifications_of

router = Router(tags=["站内信 notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(
        description="deadline 截止提醒、return 退回、decision 审核决定、warning 预警、finding 执法、other 其他"
    )
    title: str = Field(description="标题（按请求的语言）")
    body: str = Field(description="内容（按请求的语言）")
    link: str = Field(description="相关记录页面的路径；无则为空")
    topic: str = Field(description="来源事件的主题，如 reduction.approve")
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool

    @staticmethod
    def resolve_title(n) -> str:
        return n.display_title()

    @staticmethod
    def resolve_body(n) -> str:
        return n.display_body()

    @staticmethod
    def resolve_topic(n) -> str:
        return n.event.topic

    @staticmethod
    def resolve_unread(n) -> bool:
        return n.read_at is None


class NotificationFilters(Schema):
    unread: bool | None = Field(None, description="true：只列未读；false：只列已读")
    kind: str = Field("", description="按类别筛选")


class ReadAllOut(Schema):
    read: int = Field(description="本次标记为已读的条数")


@router.get("/notifications", response=list[NotificationOut], summary="我的站内信（最新在前）")
@paginate(Pages, page_size=100)
def list_notifications(request: ApiRequest, filters: Query[NotificationFilters]):
    qs = notifications_of(request.auth).select_related("event")
    if filters.unread is not None:
        qs = qs.filter(read_at__isnull=filters.unread)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


@router.post(
    "/notifications/{int:notification_id}/read",
    response=NotificationOut,
    summary="将一条站内信标记为已读",
    auth=allowed("notifications.view"),
)
def read_notification(request: ApiRequest, notification_id: int):
    notification = services.notification_open(actor=request.auth, pk=notification_id)
    return notifications_of(request.auth).select_related("event").get(pk=notification.pk)


@router.post(
    "/notifications/read-all",
    response=ReadAllOut,
    summary="将我的全部站内信标记为已读",
    auth=allowed("notifications.view"),
)
def read_all_notifications(request: ApiRequest):
    return {"read": services.notifications_read_all(actor=request.auth)}
