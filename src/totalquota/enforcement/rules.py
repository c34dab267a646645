"""Rule parameters of enforcement (SUP-4), as effective-dated data.

Seeded with the default of domain §8 (migration ``enforcement`` 0002): the unit may answer a
notice within 15 days. An administrator changes it in the rule parameters.
"""

from django.utils.translation import gettext_lazy as _

from totalquota.registry.rules import RuleKey, register

ANSWER_DAYS = register(
    RuleKey(
        "finding_answer_days",
        "days",
        "SUP-4",
        _("告知后排污单位陈述申辩的期限（天）；期满或单位陈述申辩后方可拟定处罚"),
        name=_("陈述申辩期限"),
    )
)
