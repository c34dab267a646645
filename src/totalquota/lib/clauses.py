"""Clause IDs of the park's implementation rules (see docs/domain.md §2).

Code, UI and error messages cite these IDs; rule parameters in the database carry one of them.
"""

from __future__ import annotations

CLAUSES: dict[str, str] = {
    "SCOPE-1": "适用范围：园区排污单位，自“十四五”起",
    "POLL-1": "总量管控因子（13 项）",
    "PLAT-1": "排污总量管理平台；与项目审批、排污许可、执法共享数据",
    "RED-1": "减排项目类型",
    "RED-2": "减排量核算方法",
    "RED-3": "减排项目申报：功能区汇总、季度申报、所需信息与佐证材料",
    "RED-4": "生态环境局审核：类型、减排量核算、排污许可变更",
    "RED-5": "减排情况定期通报",
    "RES-1": "储备库季度入库及不予入库情形",
    "RES-2": "总量指标分配：备案与审核、平衡比例、上级储备库",
    "RES-3": "指标收支失衡预警通报",
    "RES-4": "已使用指标的核查与收回",
    "TOT-1": "年度管理名录（2 月底前）",
    "TOT-2": "企业自行申报上年排放（3 月底前）",
    "TOT-3": "技术审核及本年度许可排放量核定",
    "SUP-4": "年度监督；弄虚作假的处罚与信用记录",
    "ANNEX-1": "附件1 排污总量指标管理信息表",
}


def describe(clause_id: str) -> str:
    """``"RES-2（总量指标分配…）"`` for messages; unknown IDs raise ``KeyError``."""
    return f"{clause_id}（{CLAUSES[clause_id]}）"
