"""What an inbound event did, in words: message codes and their Chinese texts (msgids).

An event stores the code and its parameters (record codes, dates, pollutant codes: the same in
every language) and the Chinese text as stored; a page shows the text in its own language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from totalquota.common.i18n import in_chinese

MESSAGES: dict[str, str] = {
    "eia_linked": _("已关联总量指标申请 {application}（环评批复文号 {approval_number}，批复日期 {day}）"),
    "eia_reference_differs": _(
        "审批系统的环评批复文号 {approval_number} 与总量指标申请 {application} 所填的“{eia_reference}”"
        "不一致，请审核人员核对"
    ),
    "recovery_opened": _(
        "项目不再建设：已对总量指标申请 {application} 的 {count} 项已分配指标提出收回（{cases}，依据 RES-4（1）），"
        "由审核人员按收回流程决定"
    ),
    "recovery_not_allocated": _("总量指标申请 {application} 没有已批准并已扣减的指标，无需收回"),
    "recovery_already_open": _(
        "总量指标申请 {application} 的指标已有待决定的收回事项或已部分收回，未再提出收回；请审核人员核对"
    ),
    "application_open": _(
        "环评已撤销，总量指标申请 {application} 尚在办理中（{status}），请审核人员处理其预留指标"
    ),
    "permit_updated": _(
        "已更新 {unit} 的排污许可证 {permit_number}（有效期自 {valid_from}）及 {count} 项许可排放量；"
        "许可排放量均不低于已批准的全厂指标"
    ),
    "permit_below_quota": _(
        "已更新 {unit} 的排污许可证 {permit_number}（有效期自 {valid_from}）；{pollutants} 的许可排放量低于"
        "已批准的全厂指标，请审核人员复核（不自动核减指标）"
    ),
    "permit_revoked": _(
        "{unit} 的排污许可证 {permit_number} 已于 {day} 撤销，请审核人员复核其总量指标（不自动核减指标）"
    ),
    "finding_opened": _("已登记发现问题 {finding}（执法案件编号 {case_number}），按执法流程办理（SUP-4）"),
    "finding_linked": _(
        "执法案件编号 {case_number} 已登记过发现问题 {finding}：本事件已关联该发现问题，未再登记"
    ),
}


# Parameters that are msgids themselves (a status label), translated with the text.
TRANSLATED = frozenset({"status"})


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(code: str, params: dict[str, Any]) -> str:
    """The text of ``code`` in the active language."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    values = _Params(
        {k: gettext(v) if k in TRANSLATED and isinstance(v, str) else v for k, v in (params or {}).items()}
    )
    return gettext(template).format_map(values)


def stored(code: str, params: dict[str, Any]) -> str:
    """The text as stored: in the platform's source language."""
    with in_chinese():
        return render(code, params)
