"""Registry routes: zones (kept by the bureau's administrators), pollutants, enterprises and their
changes over time (单位沿革)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Q
from django.utils.translation import gettext
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import ConfigDict

from totalquota.accounts.permissions import access, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.schemas import display, patch_of, path
from totalquota.common.xlsx import read_table
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.registry import services
from totalquota.registry.models import Enterprise, ManagementCategory, Pollutant, UnitVersion, Zone
from totalquota.registry.selectors import unit_versions, with_filing_thresholds

router = Router(tags=["基础信息 registry"])


class ZoneOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool


# A pollutant as registry.selectors.with_filing_thresholds gives it: its ``filing_threshold`` (a
# rule value or None) becomes grams, text and clause.
class PollutantOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    medium: str
    display_unit: str
    is_heavy_metal: bool
    filing_threshold_grams: int | None
    filing_threshold: str | None
    filing_threshold_clause: str | None

    resolve_filing_threshold_grams = path("filing_threshold.value")

    @staticmethod
    def resolve_filing_threshold(obj: Pollutant) -> str | None:
        grams = PollutantOut.resolve_filing_threshold_grams(obj)
        return format_quantity(grams, obj.unit, suffix=True) if grams is not None else None

    resolve_filing_threshold_clause = path("filing_threshold.clause_id")


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str
    permit_number: str
    industry_code: str
    industry_name: str
    zone_id: int
    zone_name: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    management_category: ManagementCategory
    is_active: bool
    merged_into_id: int | None = Field(description="被吸收合并时，存续单位的 id / the survivor of a merge")

    resolve_zone_name = path("zone.name")


class EnterpriseIn(Schema):
    """A unit to register: ``name``, ``uscc`` and ``zone`` are required, everything else has a
    default (empty text; the management category as described on its field)."""

    name: str = Field(description="单位名称（必填）")
    uscc: str = Field(description="统一社会信用代码，18 位含校验位（必填，GB 32100-2015）")
    permit_number: str = Field("", description="排污许可证编号，22 位；默认空（无排污许可证）")
    industry_code: str = Field("", description="国民经济行业分类代码，如 C3982；默认空")
    industry_name: str = Field("", description="行业类别；默认空")
    zone: str = Field(description="功能区代码或名称（必填）")
    address: str = Field("", description="地址；默认空")
    contact_name: str = Field("", description="联系人；默认空")
    contact_phone: str = Field("", description="联系电话；默认空")
    contact_email: str = Field("", description="电子邮箱；默认空")
    management_category: ManagementCategory | None = Field(
        None,
        description=(
            "管理类别：key 重点管理、simplified 简化管理、registration 登记管理。"
            "省略时：填写了排污许可证编号为 simplified，未填写为 registration；"
            "重点管理和简化管理单位必须填写排污许可证编号"
        ),
    )


# A change to an enterprise: any of its registered fields but the USCC, and whether it is active.
class EnterprisePatch(patch_of(EnterpriseIn, exclude=("uscc",))):  # type: ignore[misc]
    is_active: bool | None = None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int


@router.get("/zones", response=list[ZoneOut], summary="功能区列表")
def list_zones(request: ApiRequest):
    return restrict(request.auth, Zone.objects.all(), "registry.view")


class ZoneIn(Schema):
    code: str = Field(max_length=32, description="代码：大写字母、数字、下划线 / code")
    name: str = Field(max_length=100, description="名称 / name")
    sort_order: int = Field(0, ge=0, le=32767, description="排序 / sort order")
    is_active: bool = Field(True, description="启用 / active")


class ZonePatch(Schema):
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=100)
    sort_order: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class ZoneAdminOut(ZoneOut):
    sort_order: int


@router.post(
    "/zones",
    response={201: ZoneAdminOut},
    summary="新增功能区 / Create a functional zone",
    auth=allowed("registry.manage_zones"),
)
def create_zone(request: ApiRequest, payload: ZoneIn):
    return Status(201, services.zone_save(actor=request.auth, zone=None, **payload.dict()))


@router.patch(
    "/zones/{int:zone_id}",
    response=ZoneAdminOut,
    summary="修改功能区（有在册单位的功能区不能停用）/ Change a functional zone",
    auth=allowed("registry.manage_zones"),
)
def update_zone(request: ApiRequest, zone_id: int, payload: ZonePatch):
    zone = access(request.auth, Zone, zone_id, "registry.manage_zones")
    values = {field: getattr(zone, field) for field in services.ZONE_FIELDS}
    values.update(payload.dict(exclude_unset=True, exclude_none=True))
    return services.zone_save(actor=request.auth, zone=zone, **values)


@router.get("/pollutants", response=list[PollutantOut], summary="总量管控因子及备案阈值（POLL-1，RES-2）")
def list_pollutants(request: ApiRequest):
    return with_filing_thresholds(restrict(request.auth, Pollutant.objects.all(), "registry.view"))


@router.get("/enterprises", response=list[EnterpriseOut], summary="排污单位列表（按权限范围）")
@paginate(Pages, page_size=50)
def list_enterprises(request: ApiRequest, q: str = "", zone: str = "", active: bool | None = None):
    qs = restrict(request.auth, Enterprise.objects.select_related("zone"), "registry.view")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q) | Q(permit_number__icontains=q))
    if zone:
        qs = qs.filter(Q(zone__code=zone) | Q(zone__name=zone))
    return filtered(qs, is_active=active).order_by("pk")


@router.get("/enterprises/{int:enterprise_id}", response=EnterpriseOut, summary="排污单位详情")
def get_enterprise(request: ApiRequest, enterprise_id: int):
    return access(request.auth, Enterprise.objects.select_related("zone"), enterprise_id, "registry.view")


@router.post(
    "/enterprises",
    response={201: EnterpriseOut},
    summary="登记排污单位",
    auth=allowed("registry.edit_enterprise"),
)
def create_enterprise(request: ApiRequest, payload: EnterpriseIn):
    enterprise = services.enterprise_create(actor=request.auth, **payload.dict())
    return Status(201, enterprise)


@router.patch(
    "/enterprises/{int:enterprise_id}",
    response=EnterpriseOut,
    summary="修改排污单位",
    auth=allowed("registry.edit_enterprise"),
)
def update_enterprise(request: ApiRequest, enterprise_id: int, payload: EnterprisePatch):
    enterprise = access(request.auth, Enterprise, enterprise_id, "registry.edit_enterprise")
    changes = payload.dict(exclude_unset=True)
    return services.enterprise_update(actor=request.auth, enterprise=enterprise, **changes)


@router.post(
    "/enterprises/import",
    response=ImportOut,
    summary="按模板批量导入排污单位（整表校验，任一行有误则全部不导入）",
    auth=allowed_upload("registry.import_enterprise"),
)
def import_enterprises(request: ApiRequest, file: File[UploadedFile]):
    rows = read_table(file, headers=[h for h, _f in services.IMPORT_COLUMNS])
    result = services.enterprise_import(actor=request.auth, rows=rows)
    return result


# --- 单位沿革 a unit's changes over time ------------------------------------------------------------


class UnitVersionOut(Schema):
    """One version of a unit: its values valid from ``effective_on`` until the next version."""

    id: int
    enterprise_id: int
    kind: str = Field(
        description="register | edit | rename | recode | move | merge | absorb | split | split_off | close | reopen"
    )
    kind_label: str
    effective_on: dt.date
    name: str
    uscc: str
    zone: str = Field(description="功能区代码 / zone code")
    zone_name: str
    is_active: bool
    related_id: int | None = Field(description="合并或分立的另一单位 / the other unit of a merge or split")
    related_name: str | None
    reason: str
    source: str = Field(
        description="bureau 生态环境局登记 | permit_event 排污许可系统事件 | backfill 上线时的登记信息"
    )
    source_reference: str
    recorded_by: str | None
    recorded_at: dt.datetime

    resolve_kind_label = display("kind")
    resolve_zone = path("zone.code")
    resolve_zone_name = path("zone.name")
    resolve_related_name = path("related.name")
    resolve_recorded_by = path("recorded_by", str)


class NewUnitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="新设单位名称")
    uscc: str = Field(max_length=24, description="新设单位的统一社会信用代码（18 位，GB 32100）")
    zone: str = Field("", max_length=100, description="功能区代码或名称；默认与原单位相同")
    permit_number: str = Field("", max_length=32, description="排污许可证编号；默认空")


class UnitChangeIn(Schema):
    """A change of a unit; which other field is needed depends on ``kind``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["rename", "recode", "move", "merge", "split", "close", "reopen"] = Field(
        description="rename 更名 | recode 变更信用代码 | move 迁入其他功能区 | merge 被吸收合并 | "
        "split 分立出新单位 | close 注销 | reopen 恢复在册"
    )
    effective_on: dt.date = Field(
        description="生效日期：2021-01-01（SCOPE-1）至今天，不早于该单位最近一次沿革"
    )
    reason: str = Field(max_length=500, description="依据或事由（必填）")
    name: str = Field("", max_length=200, description="rename：新的单位名称")
    uscc: str = Field("", max_length=24, description="recode：新的统一社会信用代码")
    zone: str = Field(
        "", max_length=100, description="move：迁入的功能区代码或名称（指标不随之转移，须另行办理功能区调剂）"
    )
    survivor_id: int | None = Field(None, ge=1, le=2**31 - 1, description="merge：存续单位的 id")
    new_unit: NewUnitIn | None = Field(None, description="split：分立出的新单位")


def _zone(label: str, field: str) -> Zone | None:
    label = label.strip()
    if not label:
        return None
    found = Zone.objects.filter(Q(code=label.upper()) | Q(name=label)).first()
    if found is None:
        message = gettext("功能区“{label}”不存在").format(label=label)
        raise ValidationFailed(message, field=field, errors=[{"field": field, "message": message}])
    return found


def _version_rows():
    return UnitVersion.objects.select_related("zone", "related", "recorded_by")


@router.get(
    "/enterprises/{int:enterprise_id}/versions",
    response=list[UnitVersionOut],
    summary="单位沿革：各版本及其生效日期 / A unit's versions",
)
def list_unit_versions(request: ApiRequest, enterprise_id: int):
    enterprise = access(request.auth, Enterprise, enterprise_id, "registry.view")
    return list(unit_versions(enterprise))


@router.post(
    "/enterprises/{int:enterprise_id}/changes",
    response={201: UnitVersionOut},
    summary="登记单位沿革（更名、变更信用代码、迁区、合并、分立、注销、恢复；指标不随之转移）/ Record a change of a unit",
    auth=allowed("registry.edit_enterprise"),
)
def record_unit_change(request: ApiRequest, enterprise_id: int, payload: UnitChangeIn):
    enterprise = access(
        request.auth, Enterprise.objects.select_related("zone"), enterprise_id, "registry.edit_enterprise"
    )
    survivor = None
    if payload.survivor_id is not None:
        survivor = (
            restrict(request.auth, Enterprise.objects.select_related("zone"), "registry.view")
            .filter(pk=payload.survivor_id)
            .first()
        )
        if survivor is None:
            message = gettext("存续单位 {id} 不存在").format(id=payload.survivor_id)
            raise ValidationFailed(
                message, field="survivor_id", errors=[{"field": "survivor_id", "message": message}]
            )
    new_unit = None
    if payload.new_unit is not None:
        new_unit = services.NewUnit(
            name=payload.new_unit.name,
            uscc=payload.new_unit.uscc,
            zone=_zone(payload.new_unit.zone, "new_unit.zone"),
            permit_number=payload.new_unit.permit_number,
        )
    version = services.unit_change(
        actor=request.auth,
        enterprise=enterprise,
        kind=payload.kind,
        effective_on=payload.effective_on,
        reason=payload.reason,
        name=payload.name,
        uscc_code=payload.uscc,
        zone=_zone(payload.zone, "zone"),
        survivor=survivor,
        new_unit=new_unit,
    )
    return Status(201, _version_rows().get(pk=version.pk))
