"""站内信 pages: my notifications (search, filter, export), one notification, opening it (POST:
marks it read and goes to the record) and marking all read (POST). A GET never marks anything."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import principal_of, require
from totalquota.notifications import services
from totalquota.notifications.models import Notification, NotificationKind
from totalquota.notifications.selectors import notification_for, notifications_of
from totalquota.web.lists import Column, ScopedListView, model_columns


class NotificationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("阅读状态"),
        choices=[("unread", gettext_lazy("未读")), ("read", gettext_lazy("已读"))],
        method="filter_state",
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类别"), choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields = ["state", "kind"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "unread")


def read_state(notification: Notification) -> str:
    return _("已读") if notification.is_read else _("未读")


class NotificationListView(ScopedListView):
    model = Notification
    action = "notifications.view"
    title = gettext_lazy("站内信")
    template_name = "notifications/list.html"
    search_fields = ["title", "body", "params__label"]
    search_placeholder = gettext_lazy("标题、正文、编号")
    filterset_class = NotificationFilter
    export_name = gettext_lazy("站内信")
    columns = model_columns(
        Notification,
        Column(gettext_lazy("标题"), "display_title", link=True),
        "kind",
        Column(gettext_lazy("正文"), "display_body"),
        Column(gettext_lazy("阅读状态"), read_state),
        "created_at read_at",
    )

    def base_queryset(self):
        return notifications_of(self.request.user)


@login_required
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The notification: a GET shows it and leaves it unread; its buttons POST."""
    require(request.user, "notifications.view")
    notification = notification_for(request.user, pk)
    return render(
        request,
        "notifications/detail.html",
        {"notification": notification, "title": notification.display_title()},
    )


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to the record it is about (or back to it)."""
    notification = services.notification_open(actor=principal_of(request.user), pk=pk)
    return redirect(notification.link or notification.get_absolute_url())


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_read_all(actor=principal_of(request.user))
    messages.success(request, _("已将 %(n)s 条站内信标记为已读。") % {"n": count})
    return redirect("notifications:list")
