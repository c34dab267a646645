from django.utils.translation import gettext_lazy as _

from totalquota.common.navigation import NavItem, add

add(
    NavItem("reserve", _("储备余额"), "ledger:overview", "ledger.view", "bi-bank", 10),
    NavItem("reserve", _("储备批次与指标账户"), "ledger:account_list", "ledger.view", "bi-collection", 20),
    NavItem("reserve", _("划转流水"), "ledger:transfer_list", "ledger.view", "bi-arrow-left-right", 30),
)
