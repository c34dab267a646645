from django.apps import AppConfig


class ReductionsConfig(AppConfig):
    name = "totalquota.reductions"
    label = "reductions"
    verbose_name = "减排库"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _
        from django.utils.translation import pgettext_lazy

        from totalquota.common.navigation import NavItem, add

        from . import home, permissions, rules  # noqa: F401  (registers cards, actions and rule keys)

        add(
            NavItem(
                "reductions",
                pgettext_lazy("plural", "减排项目"),
                "reductions:project_list",
                "reductions.view",
                "bi-list-check",
                10,
            ),
            NavItem(
                "reductions", _("减排库"), "reductions:library", "reductions.view", "bi-database-check", 20
            ),
            NavItem("reductions", _("逾期未申报"), "reductions:overdue", "reductions.view", "bi-alarm", 30),
            NavItem("reductions", _("批量申报"), "reductions:import", "reductions.import", "bi-upload", 40),
            NavItem(
                "reductions",
                _("减排通报"),
                "reductions:bulletin",
                "reductions.view_bulletin",
                "bi-file-earmark-text",
                50,
            ),
            NavItem(
                "reductions",
                _("申报轮次"),
                "reductions:round_list",
                "reductions.view",
                "bi-calendar-range",
                60,
            ),
            NavItem(
                "reductions", _("核算系数"), "reductions:factor_list", "reductions.view", "bi-calculator", 70
            ),
        )
