"""The roles of domain §4. Every person has exactly one; system clients act through API tokens."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("排污单位")
    ZONE_OFFICER = "zone_officer", _("功能区")
    PARTNER = "partner", _("协作部门")
    THIRD_PARTY = "third_party", _("第三方机构")
    REVIEWER = "reviewer", _("生态环境局审核人员")
    ADMIN = "admin", _("生态环境局管理员")
    LEADER = "leader", _("领导小组")
    SYSTEM = "system", _("系统对接客户端")


# Roles whose scope is the whole park.
PARK_WIDE = frozenset({Role.PARTNER, Role.REVIEWER, Role.ADMIN, Role.LEADER})

# Roles an API token may carry, in the order the token form offers them.
TOKEN_ROLES = (Role.SYSTEM, Role.ZONE_OFFICER, Role.ENTERPRISE, Role.LEADER)
