"""Registry routes of the rule parameters (规则参数): every value each rule has had, and a new
value put in force from a date by an administrator (``registry.services.rule_parameter_set``, as
the page does; the value is read as the page reads it, ``registry.forms.parse_rule_value``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import require, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.lookups import pollutant_or_none, zone_or_none
from totalquota.api.schemas import path
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import Unit
from totalquota.registry import services
from totalquota.registry.forms import parse_rule_value
from totalquota.registry.models import RuleParameter
from totalquota.registry.rules import RULE_KEYS

router = Router(tags=["基础信息 registry"])


class RuleOut(Schema):
    """One value of a rule over its period / a rule parameter row."""

    id: int
    key: str = Field(description="参数键 / rule key")
    pollutant: str | None = Field(description="污染物代码；空为全部 / pollutant code, null for all")
    zone: str | None = Field(description="功能区代码；空为全部 / zone code, null for all")
    value: Any = Field(description="存储的取值（克、[分子, 分母]、万分比、天数）/ the stored value")
    effective_from: dt.date
    effective_to: dt.date | None
    clause_id: str
    source: str

    resolve_pollutant = path("pollutant.code")
    resolve_zone = path("zone.code")


class RuleIn(Schema):
    key: str = Field(description="参数键 / rule key")
    value: str = Field(
        max_length=100,
        description=(
            "取值，按页面的写法：数量按该污染物单位（“无”为不设阈值）、比例 2:1、百分比 80%、天数整数 / "
            "the value as typed on the page"
        ),
    )
    effective_from: dt.date = Field(description="生效日期（晚于现行取值的生效日期）/ in force from")
    pollutant: str | None = Field(None, description="污染物代码 / pollutant code")
    zone: str | None = Field(None, description="功能区代码 / zone code")
    source: str = Field("", max_length=300, description="依据说明 / the basis")


@router.get(
    "/rules",
    response=list[RuleOut],
    summary="规则参数（历次取值）/ Rule parameters with their history",
    auth=allowed("registry.view_rules"),
)
@paginate(Pages, page_size=100)
def list_rules(request: ApiRequest, key: str = ""):
    qs = restrict(
        request.auth, RuleParameter.objects.select_related("pollutant", "zone"), "registry.view_rules"
    )
    return filtered(qs, key=key).order_by("key", "-effective_from", "pk")


@router.post(
    "/rules",
    response={201: RuleOut},
    summary="设置规则参数的新取值（原取值在新取值生效前一日终止）/ Put a new rule value in force",
    auth=allowed("registry.edit_rules"),
)
def set_rule(request: ApiRequest, payload: RuleIn):
    actor = require(request.auth, "registry.edit_rules")
    spec = RULE_KEYS.get(payload.key)
    if spec is None:
        raise ValidationFailed(gettext("未知的规则参数：{key}").format(key=payload.key), field="key")
    pollutant = pollutant_or_none(payload.pollutant)
    zone = zone_or_none(payload.zone)
    try:
        value = parse_rule_value(
            spec.kind, payload.value, pollutant.unit if pollutant else Unit.TONNES_PER_YEAR
        )
    except forms.ValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), field="value") from None
    row = services.rule_parameter_set(
        actor=actor,
        key=payload.key,
        value=value,
        effective_from=payload.effective_from,
        pollutant=pollutant,
        zone=zone,
        source=payload.source,
    )
    return Status(201, RuleParameter.objects.select_related("pollutant", "zone").get(pk=row.pk))
