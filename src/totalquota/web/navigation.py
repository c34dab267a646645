"""The navigation bar: one list of entries, each shown to the roles whose permissions allow it.

The whole menu is listed here, entries added section by section with :func:`add`; the order of
``SECTIONS`` is the order on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from totalquota.accounts.permissions import may


@dataclass(frozen=True)
class NavItem:
    section: str
    label: Any
    url_name: str
    action: str
    icon: str = "bi-circle"
    order: int = 100


# Section titles as the top bar shows them ("menu": short forms where English is long, so the
# bar fits at 1366 px with the language switch).
SECTIONS = {
    "registry": pgettext_lazy("menu", "基础信息"),
    "reductions": pgettext_lazy("menu", "减排库"),
    "reserve": pgettext_lazy("menu", "储备库"),
    "emissions": pgettext_lazy("menu", "总量库"),
    "reports": pgettext_lazy("menu", "通报与报表"),
    "system": pgettext_lazy("menu", "系统管理"),
}

ITEMS: list[NavItem] = []


def add(section: str, *entries: tuple[Any, str, str, str, int]) -> None:
    """Entries of ``section``, each ``(label, url name, permission, icon, order)``."""
    if section not in SECTIONS:
        raise ValueError(f"unknown navigation section {section}")
    ITEMS.extend(NavItem(section, *entry) for entry in entries)


add(
    "registry",
    (pgettext_lazy("plural", "排污单位"), "registry:enterprise_list", "registry.view", "bi-building", 10),
    (pgettext_lazy("plural", "功能区"), "registry:zone_list", "registry.view", "bi-map", 20),
    (pgettext_lazy("plural", "污染物"), "registry:pollutant_list", "registry.view", "bi-droplet", 30),
    (_("排污许可量"), "registry:permit_limit_list", "registry.view", "bi-file-earmark-check", 35),
    (_("规则参数"), "registry:rule_list", "registry.view_rules", "bi-sliders", 40),
)

add(
    "system",
    (_("用户"), "accounts:user_list", "accounts.manage_users", "bi-people", 10),
    (_("排污单位账号"), "accounts:unit_account_list", "accounts.manage_unit_accounts", "bi-person-badge", 15),
    (_("接口令牌"), "accounts:token_list", "accounts.manage_tokens", "bi-key", 20),
    (_("外发事件订阅"), "webhooks:list", "webhooks.manage", "bi-broadcast", 22),
    (_("登录锁定"), "accounts:lockouts", "accounts.unlock", "bi-lock", 25),
    (_("审计日志"), "audit:event_list", "audit.view", "bi-journal-check", 30),
    # Whether the ledger still adds up: the daily and on-demand reconcile runs.
    (_("台账对账"), "ledger:reconcile_list", "ledger.reconcile_view", "bi-check2-all", 32),
    (_("工作日历"), "registry:calendar_list", "registry.manage_calendar", "bi-calendar3", 40),
    # What the approval, permit and enforcement systems posted, and what it did (PLAT-1).
    (_("外部系统事件"), "inbound:list", "inbound.view", "bi-inbox", 35),
)

add(
    "reserve",
    # 指标台账 (ledger)
    (_("储备余额"), "ledger:overview", "ledger.view", "bi-bank", 10),
    (_("储备批次与指标账户"), "ledger:account_list", "ledger.view", "bi-collection", 20),
    (_("划转流水"), "ledger:transfer_list", "ledger.view", "bi-arrow-left-right", 30),
    # 储备库 (reserve)
    (_("总量指标申请"), "reserve:application_list", "reserve.view", "bi-file-earmark-text", 1),
    (_("季度入库"), "reserve:intake_list", "reserve.intake", "bi-box-arrow-in-down", 40),
    (_("上级储备库"), "reserve:upper_list", "reserve.view", "bi-arrow-up-circle", 50),
    (_("储备调整"), "reserve:adjustment_list", "reserve.adjust_view", "bi-sliders", 55),
    (_("核查与收回"), "reserve:recovery", "reserve.recover", "bi-arrow-counterclockwise", 60),
    (_("核实排放量"), "reserve:verified_list", "reserve.view", "bi-clipboard-data", 70),
    (_("达标状况"), "reserve:attainment_list", "reserve.view", "bi-cloud-sun", 80),
    (_("历史数据导入"), "history:list", "history.view", "bi-clock-history", 90),
)

add(
    "reductions",
    (pgettext_lazy("plural", "减排项目"), "reductions:project_list", "reductions.view", "bi-list-check", 10),
    (_("减排库"), "reductions:library", "reductions.view", "bi-database-check", 20),
    (_("逾期未申报"), "reductions:overdue", "reductions.view", "bi-alarm", 30),
    (_("批量申报"), "reductions:import", "reductions.import", "bi-upload", 40),
    (_("减排通报"), "reductions:bulletin", "reductions.view_bulletin", "bi-file-earmark-text", 50),
    (_("申报轮次"), "reductions:round_list", "reductions.view", "bi-calendar-range", 60),
    (_("核算系数"), "reductions:factor_list", "reductions.view", "bi-calculator", 70),
)

# 总量库: self-reports (TOT-2).
add(
    "emissions",
    (_("排放量申报"), "emissions:report_list", "emissions.view", "bi-clipboard-data", 20),
)

add(
    "emissions",
    # 名录与截止日期 (TOT-1, TOT-2)
    (_("重点排污单位名录"), "emissions:list_list", "emissions.view", "bi-card-checklist", 10),
    (_("未按期申报"), "emissions:overdue", "emissions.view", "bi-alarm", 12),
    (_("截止日期与延期"), "emissions:deadline_list", "emissions.view", "bi-calendar-event", 14),
    (_("催报提醒"), "emissions:reminders", "emissions.view", "bi-bell", 16),
    # This year's allowed emissions (TOT-3): the determinations, and the runs per zone and year.
    (_("年度核定排放量"), "emissions:determination_list", "emissions.view", "bi-clipboard-check", 50),
    (_("核定测算与下达"), "emissions:determination_runs", "emissions.determine", "bi-calculator", 55),
    # technical review and consistency (TOT-3)
    (_("批量审核通过"), "emissions:review_batch", "emissions.review", "bi-check2-all", 30),
    (_("一致性核查提示"), "emissions:flag_list", "emissions.view", "bi-flag", 35),
    (_("超量排放监督候选"), "emissions:candidate_list", "emissions.view", "bi-exclamation-octagon", 40),
    (_("外部数据导入"), "emissions:source_list", "emissions.view_sources", "bi-cloud-upload", 45),
    (_("外部来源数据"), "emissions:figure_list", "emissions.view", "bi-table", 46),
)

add(
    "reports",
    (_("储备收支预警"), "reserve:warnings", "reserve.view_warnings", "bi-exclamation-triangle", 20),
    (_("通报与监管报告"), "reports:bulletin_list", "reports.view_bulletins", "bi-megaphone", 30),
)

# Enforcement and credit (SUP-4).
add(
    "reports",
    (_("发现问题"), "enforcement:finding_list", "enforcement.view", "bi-shield-exclamation", 60),
    (_("信用记录"), "enforcement:credit_list", "enforcement.view", "bi-person-vcard", 65),
)

add(
    "reports",
    # 看板 (dashboards): each role's own
    (_("领导总览"), "reports:dashboard_leader", "reports.dashboard_leader", "bi-speedometer2", 1),
    (_("园区看板"), "reports:dashboard_park", "reports.dashboard_park", "bi-bar-chart", 2),
    (_("功能区看板"), "reports:dashboard_own_zone", "reports.dashboard_own_zone", "bi-bar-chart", 3),
    (_("本单位看板"), "reports:dashboard_unit", "reports.dashboard_unit", "bi-bar-chart", 4),
    # 指标来源去向图 (the provenance picture)
    (_("指标来源去向图"), "reports:provenance", "reports.view_provenance", "bi-diagram-3", 25),
)


def menu_for(user) -> list[dict]:
    """The sections and entries ``user`` may open, in display order."""
    menu = []
    for key, title in SECTIONS.items():
        entries = []
        for item in sorted((i for i in ITEMS if i.section == key), key=lambda i: i.order):
            if not may(user, item.action):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            entries.append({"label": item.label, "url": url, "icon": item.icon})
        if entries:
            menu.append({"key": key, "title": title, "entries": entries})
    return menu
