"""What a notification says, in the language of the page that shows it.

A notification stores a message name (``event``, ``reminder_overdue`` …) and its parameters; the
texts are Chinese msgids here, translated when shown. Parameters named in :data:`TRANSLATED` are
themselves msgids of this module (the record's kind, what happened, a warning's level) and are
translated too; the others (codes, numbers, names) are shown as they are, and so is the note (a
reason or a message as a person typed it), kept in a field of its own.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _  # marks msgids; translated in render()

from totalquota.common.i18n import in_chinese

# The record an event is about, by the topic's family (the topic without its action).
SUBJECTS: dict[str, str] = {
    "reduction": _("减排项目"),
    "reserve.application": _("排污总量指标申请"),
    "reserve.intake": _("储备入库批次"),
    "reserve.recovery": _("指标收回事项"),
    "reserve.adjustment": _("储备调整"),
    "emission_report": _("年度排放量申报"),
    "enforcement.finding": _("执法发现"),
    "inbound.event": _("外部系统事件"),
}

# What happened to it: by (family, action), else by action.
OUTCOMES: dict[tuple[str, str] | str, str] = {
    "submit": _("已提交，待审核"),
    ("reduction", "submit"): _("已报送，待审核"),
    "handover": _("已提交功能区"),
    "send_back": _("已退回修改"),
    "return": _("已退回修改"),
    "reopen": _("已重新打开更正"),
    "approve": _("已审核通过"),
    ("reserve.application", "approve"): _("已批准"),
    ("reserve.recovery", "approve"): _("已决定收回"),
    "reject": _("未予通过"),
    ("reserve.recovery", "reject"): _("已决定不予收回"),
    "decline": _("未被采纳"),
    "accept_late": _("已接受逾期申报"),
    "accept": _("已审核通过"),
    "propose": _("已拟定审核意见，待批准"),
    "prepare": _("已编制，待确认入库"),
    "confirm": _("已确认"),
    ("reserve.intake", "confirm"): _("已确认入库"),
    "cancel": _("已作废"),
    ("reserve.adjustment", "propose"): _("已拟定，待另一人确认后记账"),
    ("reserve.adjustment", "confirm"): _("已确认并记账"),
    ("reserve.adjustment", "reject"): _("已退回，未记账"),
    ("reserve.recovery", "notify"): _("拟收回，请在答复期内陈述意见"),
    ("enforcement.finding", "notify"): _("已告知，请在期限内答复"),
    "answer": _("已答复"),
    "dismiss": _("已撤销"),
    ("inbound.event", "review"): _("需审核人员处理"),
}

LEVELS: dict[str, str] = {"normal": _("正常"), "attention": _("关注"), "warning": _("预警")}

# Message name -> (title, body).
MESSAGES: dict[str, tuple[str, str]] = {
    "event": (_("{subject} {label}：{outcome}"), _("请打开查看详情。")),
    "event_reason": (_("{subject} {label}：{outcome}"), _("意见：{note}")),
    "reminder_due_soon": (
        _("{year} 年度排放量申报截止提醒"),
        _("{year} 年度排放量申报将于 {day} 截止，贵单位尚未报送，请按时报送（TOT-2）"),
    ),
    "reminder_overdue": (
        _("{year} 年度排放量申报逾期提醒"),
        _("{year} 年度排放量申报已于 {day} 截止，贵单位尚未报送，请尽快报送（TOT-2）"),
    ),
    "reminder_manual": (_("{year} 年度排放量申报催报"), _("{note}")),
    "reconcile_failed": (
        _("台账对账未通过：R{run}"),
        _("对账发现 {count} 处不符（或未能完成），请打开对账记录查看并处理。"),
    ),
    "warning": (
        _("储备预警：{zone} {pollutant}"),
        _("预警级别：{level}；可用储备约 {months} 个月（RES-3）"),
    ),
}

TRANSLATED = frozenset({"subject", "outcome", "level"})


def subject_of(family: str) -> str:
    return SUBJECTS.get(family, _("事项"))


def outcome_of(family: str, action: str) -> str:
    return OUTCOMES.get((family, action)) or OUTCOMES.get(action) or _("状态已变更")


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(message: str, params: dict[str, Any], note: str = "") -> tuple[str, str]:
    """The title and body of a notification in the active language; ``note`` (what a person typed)
    fills ``{note}`` as it is."""
    title, body = MESSAGES.get(message, MESSAGES["event"])
    english = (translation.get_language() or "").startswith("en")
    values = _Params()
    for key, value in (params or {}).items():
        if key in TRANSLATED and isinstance(value, str):
            value = gettext(value)
        values[key] = value
    values["note"] = note
    if english and params.get("pollutant_en"):
        values["pollutant"] = params["pollutant_en"]
    return gettext(title).format_map(values), gettext(body).format_map(values)


def stored(message: str, params: dict[str, Any], note: str = "") -> tuple[str, str]:
    """The title and body as stored: in the platform's source language."""
    with in_chinese():
        return render(message, params, note)
