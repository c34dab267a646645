"""Writes of webhooks: subscriptions (create, edit, deactivate, rotate the secret), replaying a
delivery and sending a test event. Every one checks its input before the first write and is
recorded in the audit log (never with the secret)."""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require
from totalquota.audit.services import record, snapshot
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.outbox import emit
from totalquota.webhooks import addresses, topics
from totalquota.webhooks.models import WebhookDelivery, WebhookState, WebhookSubscription

ACTION = "webhooks.manage"
SHOWN = ["name", "url", "topic_patterns", "active"]


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, else ``None``: http or https, a host, no credentials,
    and not a loopback, private or otherwise forbidden address (:mod:`.addresses`)."""
    if not url or len(url) > 500 or any(c.isspace() for c in url):
        return gettext("接收地址须为 http:// 或 https:// 开头的完整网址")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (a bad port raises)
    except ValueError:
        return gettext("接收地址须为 http:// 或 https:// 开头的完整网址")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return gettext("接收地址须为 http:// 或 https:// 开头的完整网址")
    if parts.username or parts.password:
        return gettext("接收地址中不能含用户名或密码")
    return addresses.url_refusal(url)


def clean_patterns(patterns: Any) -> list[str]:
    """The topic patterns as a list of distinct strings, or a refusal naming the bad ones."""
    if isinstance(patterns, str):
        patterns = patterns.replace(",", " ").split()
    if not isinstance(patterns, list | tuple) or not all(isinstance(p, str) for p in patterns):
        raise ValidationFailed(gettext("订阅主题须为主题列表"), field="topic_patterns")
    cleaned = list(dict.fromkeys(p.strip() for p in patterns if p.strip()))
    if not cleaned:
        raise ValidationFailed(gettext("请至少填写一个订阅主题"), field="topic_patterns")
    if len(cleaned) > topics.MAX_PATTERNS:
        raise ValidationFailed(
            gettext("订阅主题最多 %(n)s 个") % {"n": topics.MAX_PATTERNS}, field="topic_patterns"
        )
    errors = []
    for pattern in cleaned:
        problem = topics.pattern_problem(pattern)
        if problem == "syntax":
            message = gettext("“%(p)s”不是有效的主题：写主题本身、“前缀.*”或“*”") % {"p": pattern}
        elif problem == "unshared":
            message = gettext("“%(p)s”不对应任何对外提供的主题") % {"p": pattern}
        else:
            continue
        errors.append({"field": "topic_patterns", "message": message})
    if errors:
        raise ValidationFailed(errors[0]["message"], field="topic_patterns", errors=errors)
    return cleaned


def _check(name: str, url: str, topic_patterns: Any) -> tuple[str, str, list[str]]:
    name = (name or "").strip()
    url = (url or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(gettext("请填写名称（不超过 100 字）"), field="name")
    problem = url_problem(url)
    if problem:
        raise ValidationFailed(problem, field="url", errors=[{"field": "url", "message": problem}])
    return name, url, clean_patterns(topic_patterns)


def subscription_create(
    *, actor: Principal, name: str, url: str, topic_patterns: Any
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret (shown once)."""
    require(actor, ACTION)
    name, url, patterns = _check(name, url, topic_patterns)
    secret = new_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=name, url=url, topic_patterns=patterns, secret=secret, created_by=actor.user
        )
        record(actor=actor, action="webhook.create", obj=subscription, after=snapshot(subscription, SHOWN))
    return subscription, secret


def _locked(subscription: WebhookSubscription) -> WebhookSubscription:
    # Lock: the subscription row alone, so that an edit does not interleave with the fan-out
    # taking its next sequence (handlers.fan_out locks the same row, and nothing else first).
    return WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)


def subscription_update(
    *,
    actor: Principal,
    subscription: WebhookSubscription,
    name: str | None = None,
    url: str | None = None,
    topic_patterns: Any = None,
    active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given of the name, URL, patterns and whether it is active."""
    require(actor, ACTION)
    name, url, patterns = _check(
        subscription.name if name is None else name,
        subscription.url if url is None else url,
        subscription.topic_patterns if topic_patterns is None else topic_patterns,
    )
    with transaction.atomic():
        subscription = _locked(subscription)
        before = snapshot(subscription, SHOWN)
        subscription.name, subscription.url, subscription.topic_patterns = name, url, patterns
        if active is not None:
            subscription.active = active
        subscription.save(update_fields=SHOWN)
        record(
            actor=actor,
            action="webhook.update",
            obj=subscription,
            before=before,
            after=snapshot(subscription, SHOWN),
        )
    return subscription


def subscription_deactivate(*, actor: Principal, subscription: WebhookSubscription) -> WebhookSubscription:
    """Stop sending to the subscription (its pending deliveries wait; editing it active resumes)."""
    require(actor, ACTION)
    if not subscription.active:
        raise Conflict(gettext("该订阅已停用"))
    return subscription_update(actor=actor, subscription=subscription, active=False)


def secret_rotate(*, actor: Principal, subscription: WebhookSubscription) -> tuple[WebhookSubscription, str]:
    """A new secret for the subscription (shown once); the next tries are signed with it."""
    require(actor, ACTION)
    secret = new_secret()
    with transaction.atomic():
        subscription = _locked(subscription)
        subscription.secret = secret
        subscription.secret_rotated_at = timezone.now()
        subscription.save(update_fields=["secret", "secret_rotated_at"])
        record(actor=actor, action="webhook.rotate_secret", obj=subscription)
    return subscription, secret


def delivery_replay(*, actor: Principal, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same id and sequence, and a fresh count of tries: a dead
    one (which then no longer holds its subscription back) or a received one a receiver lost."""
    require(actor, ACTION)
    with transaction.atomic():
        # Lock: the delivery row, so that a replay does not interleave with a worker recording a
        # try (delivery.claim locks the same row, and nothing before it).
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.claimed_until is not None and delivery.claimed_until > timezone.now():
            raise Conflict(gettext("该投递正在发送，请稍后再试"))
        if delivery.state in (WebhookState.PENDING, WebhookState.FAILED) and not delivery.attempts:
            raise Conflict(gettext("该投递尚未发送，无需重发"))
        before = snapshot(delivery, ["state", "attempts"])
        delivery.state = WebhookState.PENDING
        delivery.attempts = 0
        delivery.replay = True
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["state", "attempts", "replay", "next_attempt_at"])
        record(
            actor=actor,
            action="webhook.replay",
            obj=delivery,
            before=before,
            after={"subscription": delivery.subscription_id, "sequence": delivery.sequence},
        )
        from totalquota.webhooks.delivery import schedule

        transaction.on_commit(schedule, robust=True)
    return delivery


def send_test_event(*, actor: Principal, subscription: WebhookSubscription) -> None:
    """A ``webhook.ping`` event for this subscription alone, through the outbox like any other."""
    require(actor, ACTION)
    if not subscription.active:
        raise Conflict(gettext("该订阅已停用，不能发送测试事件"))
    with transaction.atomic():
        emit(
            topics.PING_TOPIC,
            obj=subscription,
            actor=actor,
            payload={"subscription": subscription.pk, "message": "ping"},
        )
        record(actor=actor, action="webhook.ping", obj=subscription)
