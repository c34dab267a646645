"""Rule parameters of the quota reserve (RES-1 … RES-4), as effective-dated data."""

from django.utils.translation import gettext_lazy as _

from totalquota.registry.models import Indicator
from totalquota.registry.rules import RuleKey, register

BALANCE_RATIO = register(
    RuleKey(
        "balance_ratio",
        "ratio",
        "RES-2",
        _("平衡比例：削减替代量 = 全厂新增外排环境量 × 比例"),
        per_pollutant=True,
        per_zone=True,
        name=_("平衡比例"),
    )
)
NONATTAINMENT_RATIO = register(
    RuleKey(
        "balance_ratio_nonattainment",
        "ratio",
        "RES-2",
        _("相关环境质量指标上年度不达标时适用的平衡比例（如臭氧不达标时 VOCs、NOx 按 2:1）"),
        per_pollutant=True,
        per_zone=True,
        name=_("不达标地区平衡比例"),
    )
)
ATTAINMENT_INDICATOR = register(
    RuleKey(
        "attainment_indicator",
        "text",
        "RES-2",
        _("决定平衡比例的环境质量指标（臭氧、细颗粒物、二氧化硫、地表水考核断面等）"),
        per_pollutant=True,
        name=_("决定平衡比例的环境质量指标"),
        choices=Indicator,
    )
)
RECOVERY_THRESHOLD = register(
    RuleKey(
        "recovery_threshold_bp",
        "basis_points",
        "RES-4",
        _("收回线：实际排放量低于许可量的该比例（万分比，8000 即 80%）时列为收回对象"),
        name=_("收回线"),
    )
)
RECOVERY_RATIO = register(
    RuleKey(
        "recovery_ratio", "ratio", "RES-4", _("收回比例：收回入库量 = 确认富余量 × 比例"), name=_("收回比例")
    )
)
RECOVERY_OPERATION_DAYS = register(
    RuleKey(
        "recovery_operation_days",
        "days",
        "RES-4",
        _("正式投运满该天数后方可按实际排放量核查收回"),
        name=_("收回核查所需投运天数"),
    )
)
COVERAGE_ATTENTION = register(
    RuleKey(
        "warning_coverage_attention_bp",
        "basis_points",
        "RES-3",
        _("关注线：可用储备 / 待批需求低于该比例（万分比）"),
        name=_("储备保障关注线"),
    )
)
COVERAGE_WARNING = register(
    RuleKey(
        "warning_coverage_warning_bp",
        "basis_points",
        "RES-3",
        _("预警线：可用储备 / 待批需求低于该比例（万分比）"),
        name=_("储备保障预警线"),
    )
)
SPEND_ATTENTION = register(
    RuleKey(
        "warning_spend_attention_bp",
        "basis_points",
        "RES-3",
        _("关注线：期间支出 / 收入高于该比例（万分比）"),
        name=_("支出关注线"),
    )
)
SPEND_WARNING = register(
    RuleKey(
        "warning_spend_warning_bp",
        "basis_points",
        "RES-3",
        _("预警线：期间支出 / 收入高于该比例（万分比）"),
        name=_("支出预警线"),
    )
)
RECOVERY_ANSWER_DAYS = register(
    RuleKey(
        "recovery_answer_days",
        "days",
        "RES-4",
        _("收回告知后单位陈述意见的期限（天）；期满或单位答复后方可作出收回决定"),
        name=_("收回答复期限"),
    )
)
DRAWDOWN_QUARTERS = register(
    RuleKey(
        "warning_drawdown_quarters",
        "int",
        "RES-3",
        _("近期消耗：按统计截止日之前最近该数量个完整季度的储备支出计算月均消耗（季度数）"),
        name=_("近期消耗统计季度数"),
    )
)
COVER_ATTENTION = register(
    RuleKey(
        "warning_cover_attention_months",
        "int",
        "RES-3",
        _("关注线：满足待批需求后的可用储备按月均消耗预计可保障的月数低于该值（月）"),
        name=_("可保障月数关注线"),
    )
)
COVER_WARNING = register(
    RuleKey(
        "warning_cover_warning_months",
        "int",
        "RES-3",
        _("预警线：满足待批需求后的可用储备按月均消耗预计可保障的月数低于该值（月）"),
        name=_("可保障月数预警线"),
    )
)
