"""Rule parameters of the ledger."""

from django.utils.translation import gettext_lazy as _

from totalquota.registry.rules import RuleKey, register

HOLD_TIMEOUT = register(
    RuleKey(
        "ledger_hold_timeout_days",
        "days",
        "RES-2",
        _("指标预留的默认期限（天）：申请未决期间预留的指标，到期未处理自动释放"),
        name=_("指标预留默认期限"),
    )
)
