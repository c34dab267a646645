"""Home-page cards: what in the reduction library needs each person's attention (RED-3, RED-4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from totalquota.accounts.permissions import may, restrict
from totalquota.accounts.roles import Role
from totalquota.lib.errors import RuleViolation
from totalquota.reductions.models import AWAITING_REVIEW, ProjectStatus, ReductionProject
from totalquota.reductions.rules import ROUND_REMINDER_DAYS
from totalquota.reductions.selectors import current_rounds, overdue_q, year_closes_on
from totalquota.registry.rules import rule_value
from totalquota.web.home import Card, provider

S = ProjectStatus


@dataclass(frozen=True)
class StatusCard:
    """A card counting the projects in ``status`` for people of ``roles``, linking to that list."""

    roles: tuple[Role, ...]
    status: ProjectStatus
    title: Any
    level: str
    note: Any
    order: int


# Shown only when the count is not zero, each to the roles that act on projects in that status.
STATUS_CARDS = (
    StatusCard(
        (Role.ENTERPRISE, Role.ZONE_OFFICER),
        S.RETURNED,
        gettext_lazy("退回修改的减排项目"),
        "warning",
        gettext_lazy("按审核意见修改后重新报送"),
        20,
    ),
    StatusCard(
        (Role.ENTERPRISE,),
        S.DRAFT,
        gettext_lazy("待报送的减排项目草稿"),
        "info",
        gettext_lazy("填写减排量、上传佐证材料后提交功能区"),
        40,
    ),
    StatusCard(
        (Role.ZONE_OFFICER,),
        S.DRAFT,
        gettext_lazy("待报送的减排项目草稿"),
        "info",
        gettext_lazy("补齐信息与佐证材料后报送"),
        40,
    ),
    StatusCard(
        (Role.ZONE_OFFICER,),
        S.ZONE_PENDING,
        gettext_lazy("企业已提交、待功能区报送"),
        "warning",
        gettext_lazy("核对后报送或退回企业"),
        25,
    ),
    StatusCard(
        (Role.ZONE_OFFICER,),
        S.SUGGESTED,
        gettext_lazy("待采纳的增补建议"),
        "info",
        gettext_lazy("生态环境局、经发委提出（RED-3）"),
        45,
    ),
    StatusCard(
        (Role.THIRD_PARTY,),
        S.SUBMITTED,
        gettext_lazy("待预审的减排项目"),
        "warning",
        gettext_lazy("出具技术意见，不作决定"),
        20,
    ),
    StatusCard((Role.PARTNER,), S.SUGGESTED, gettext_lazy("待功能区采纳的增补建议"), "info", "", 40),
)


def _list(**params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("reductions:project_list") + (f"?{query}" if query else "")


@provider
def reduction_cards(principal) -> list[Card]:
    if not may(principal, "reductions.view"):
        return []
    today = timezone.localdate()
    projects = restrict(principal, ReductionProject.objects.all(), "reductions.view")
    role = principal.role
    cards: list[Card] = []

    def count(status: str) -> int:
        return projects.filter(status=status).count()

    if role in (Role.ENTERPRISE, Role.ZONE_OFFICER, Role.ADMIN):
        overdue = projects.filter(overdue_q(today)).count()
        try:
            year_closes_on(today.year - 1)  # the RED-3 rule every declaration reads
        except RuleViolation as exc:
            # A missing rule parameter is the administrator's task; it must not break home pages.
            if role == Role.ADMIN:
                cards.append(
                    Card(_("规则参数缺失"), "RED-3", reverse("registry:rule_list"), "danger", exc.message, 5)
                )
        if overdue:
            cards.append(
                Card(
                    _("逾期未申报的减排项目"),
                    overdue,
                    reverse("reductions:overdue"),
                    "danger",
                    _("已过申报截止日期（RED-3），请尽快报送"),
                    10,
                )
            )
    cards.extend(
        Card(str(c.title), n, _list(status=c.status), c.level, str(c.note), c.order)
        for c in STATUS_CARDS
        if role in c.roles and (n := count(c.status))
    )
    if role in (Role.REVIEWER, Role.ADMIN):
        waiting = projects.filter(status__in=AWAITING_REVIEW).count()
        if waiting:
            cards.append(
                Card(
                    _("待审核的减排项目"),
                    waiting,
                    _list(status=S.SUBMITTED)
                    if not count(S.PRECHECKED)
                    else reverse("reductions:project_list"),
                    "warning",
                    _("审核类型、减排量核算与排污许可变更（RED-4）"),
                    15,
                )
            )
    if role in (Role.ENTERPRISE, Role.ZONE_OFFICER, Role.ADMIN, Role.THIRD_PARTY):
        try:
            days = rule_value(ROUND_REMINDER_DAYS.key, today).value
        except RuleViolation:
            days = 0
        for round_ in current_rounds(today):
            left = (round_.deadline - today).days
            if left <= days:
                cards.append(
                    Card(
                        _("申报轮次即将截止"),
                        _("%(n)d 天") % {"n": left},
                        reverse("reductions:round_list"),
                        "warning",
                        _("%(title)s：%(d)s 截止") % {"title": round_.title, "d": round_.deadline},
                        12,
                    )
                )
            else:
                cards.append(
                    Card(
                        _("正在进行的申报轮次"),
                        round_.title,
                        reverse("reductions:round_list"),
                        "info",
                        _("%(d)s 截止") % {"d": round_.deadline},
                        60,
                    )
                )
    approved = count(S.APPROVED)
    cards.append(Card(_("减排库已入库项目"), approved, reverse("reductions:library"), "secondary", "", 80))
    return cards
