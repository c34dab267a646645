"""What a notification says, in the language of the page that shows it.

A notification stores a message name (``event``, ``reminder_overdue`` …) and its parameters; the
texts are Chinese msgids here, translated when shown. Parameters named in :data:`TRANSLATED` are
themselves msgids of this module (the record's kind, what happened, a warning's level) and are
translated too; the others (codes, numbers, names and reasons as people typed them) are shown as
they are.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N

from totalquota.common.i18n import in_chinese

# The record an event is about, by the topic's family (the topic without its action).
SUBJECTS: dict[str, str] = {
    "reduction": N("减排项目"),
    "reserve.application": N("指标申请"),
    "reserve.intake": N("储备入库批次"),
    "reserve.recovery": N("指标收回事项"),
    "emission_report": N("排放量申报"),
    "enforcement.finding": N("执法发现"),
}

# What happened to it: by (family, action), else by action.
OUTCOMES: dict[tuple[str, str] | str, str] = {
    "submit": N("已提交，待审核"),
    ("reduction", "submit"): N("已报送，待审核"),
    "handover": N("已提交功能区"),
    "send_back": N("已退回修改"),
    "return": N("已退回修改"),
    "reopen": N("已重新打开更正"),
    "approve": N("已审核通过"),
    ("reserve.application", "approve"): N("已批准"),
    ("reserve.recovery", "approve"): N("已决定收回"),
    "reject": N("未予通过"),
    ("reserve.recovery", "reject"): N("已决定不予收回"),
    "decline": N("未被采纳"),
    "accept_late": N("已接受逾期申报"),
    "accept": N("已审核通过"),
    "propose": N("已拟定审核意见，待批准"),
    "prepare": N("已编制，待确认入库"),
    "confirm": N("已确认"),
    ("reserve.intake", "confirm"): N("已确认入库"),
    "cancel": N("已作废"),
    ("reserve.recovery", "notify"): N("拟收回，请在答复期内陈述意见"),
    ("enforcement.finding", "notify"): N("已告知，请在期限内答复"),
    "answer": N("已答复"),
    "dismiss": N("已撤销"),
}

LEVELS: dict[str, str] = {"normal": N("正常"), "attention": N("关注"), "warning": N("预警")}

# Message name -> (title, body).
MESSAGES: dict[str, tuple[str, str]] = {
    "event": (N("{subject} {label} {outcome}"), N("请打开查看详情。")),
    "event_reason": (N("{subject} {label} {outcome}"), N("意见：{reason}")),
    "reminder_due_soon": (
        N("{year} 年度排放量申报截止提醒"),
        N("{year} 年度排放量申报将于 {day} 截止，贵单位尚未报送，请按时报送（TOT-2）"),
    ),
    "reminder_overdue": (
        N("{year} 年度排放量申报逾期提醒"),
        N("{year} 年度排放量申报已于 {day} 截止，贵单位尚未报送，请尽快报送（TOT-2）"),
    ),
    "reminder_manual": (N("{year} 年度排放量申报催报"), N("{message}")),
    "warning": (
        N("储备预警：{zone} {pollutant}"),
        N("预警级别：{level}；可用储备约 {months} 个月（RES-3）"),
    ),
}

TRANSLATED = frozenset({"subject", "outcome", "level"})


def subject_of(family: str) -> str:
    return SUBJECTS.get(family, N("事项"))


def outcome_of(family: str, action: str) -> str:
    return OUTCOMES.get((family, action)) or OUTCOMES.get(action) or N("状态已变更")


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(message: str, params: dict[str, Any]) -> tuple[str, str]:
    """The title and body of a notification in the active language."""
    title, body = MESSAGES.get(message, MESSAGES["event"])
    english = (translation.get_language() or "").startswith("en")
    values = _Params()
    for key, value in (params or {}).items():
        if key in TRANSLATED and isinstance(value, str):
            value = gettext(value)
        values[key] = value
    if english and params.get("pollutant_en"):
        values["pollutant"] = params["pollutant_en"]
    return gettext(title).format_map(values), gettext(body).format_map(values)


def stored(message: str, params: dict[str, Any]) -> tuple[str, str]:
    """The title and body as stored: in the platform's source language."""
    with in_chinese():
        return render(message, params)
