from django.utils.translation import gettext_lazy as _

from totalquota.common.navigation import NavItem, add

add(
    NavItem(
        "reserve", _("总量指标申请"), "reserve:application_list", "reserve.view", "bi-file-earmark-text", 1
    ),
    NavItem("reserve", _("季度入库"), "reserve:intake_list", "reserve.intake", "bi-box-arrow-in-down", 40),
    NavItem("reserve", _("上级储备库"), "reserve:upper_list", "reserve.view", "bi-arrow-up-circle", 50),
    NavItem(
        "reserve", _("核查与收回"), "reserve:recovery", "reserve.recover", "bi-arrow-counterclockwise", 60
    ),
    NavItem("reserve", _("核实排放量"), "reserve:verified_list", "reserve.view", "bi-clipboard-data", 70),
    NavItem("reserve", _("达标状况"), "reserve:attainment_list", "reserve.view", "bi-cloud-sun", 80),
    NavItem(
        "reports",
        _("储备收支预警"),
        "reserve:warnings",
        "reserve.view_warnings",
        "bi-exclamation-triangle",
        20,
    ),
)
