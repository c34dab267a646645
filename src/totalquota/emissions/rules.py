"""Rule parameters of the emission total library (TOT-1 … TOT-3), as effective-dated data.

Seeded with the defaults of domain §7 (migration ``emissions`` 0004); an administrator changes them
in the rule parameters, per pollutant and zone where the key allows it.
"""

from django.utils.translation import gettext_lazy as _

from totalquota.emissions.models import SourceKind
from totalquota.registry.rules import RuleKey, register

LIST_DEADLINE = register(
    RuleKey(
        "list_deadline",
        "month_day",
        "TOT-1",
        _("名录确定截止日：排放年度次年该月日前确定重点排污单位名录（02-29 表示二月末日）"),
        name=_("名录确定截止日"),
    )
)
REPORT_DEADLINE = register(
    RuleKey(
        "report_deadline",
        "month_day",
        "TOT-2",
        _("自行申报截止日：排放年度次年该月日前报送上年度排放量"),
        per_zone=True,
        name=_("自行申报截止日"),
    )
)
REMINDER_DAYS = register(
    RuleKey(
        "report_reminder_days",
        "days",
        "TOT-2",
        _("截止日前该天数起提醒尚未报送的单位"),
        name=_("催报提前天数"),
    )
)
# One tolerance per source, each per pollutant (TOT-3): relative to the unit's accepted figure.
TOLERANCE = {
    kind: register(
        RuleKey(
            f"tolerance_bp_{kind}",
            "basis_points",
            "TOT-3",
            _("一致性核查允许偏差（万分比，相对于单位申报数；500 即 5%）"),
            per_pollutant=True,
            name=_("允许偏差"),
        )
    )
    for kind in SourceKind.values
}
TOLERANCE_FLOOR = register(
    RuleKey(
        "tolerance_floor",
        "grams",
        "TOT-3",
        _("一致性核查绝对下限：差值小于该值时不提示（默认 0.01 t/a，重金属 0.1 kg/a）"),
        per_pollutant=True,
        name=_("偏差绝对下限"),
    )
)
IMPROVEMENT_TARGET = register(
    RuleKey(
        "improvement_target_bp",
        "basis_points",
        "TOT-3",
        _("改善目标：上年度环境质量未达标时，核定排放量在基数上削减的比例（万分比）"),
        per_pollutant=True,
        per_zone=True,
        name=_("改善目标削减比例"),
    )
)
TOTAL_CONTROL = register(
    RuleKey(
        "total_control_grams",
        "grams",
        "TOT-3",
        _("总量控制量：功能区该污染物核定排放量合计的上限（为空表示不设上限）"),
        per_pollutant=True,
        per_zone=True,
        name=_("总量控制量"),
    )
)
