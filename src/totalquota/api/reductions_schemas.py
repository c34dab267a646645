"""The reduction library's API shapes: what the routes read (``…In``) and answer (``…Out``).

Answers are built from the records themselves: each ``…Out`` reads a model's (or a report row's)
attributes, and its ``resolve_<field>`` methods give the figures written out (a gram amount in the
pollutant's unit), the labels and the related names. Amounts are integer grams per year
(``*_grams``) with the same figure in the pollutant's unit beside them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Schema
from pydantic import StrictInt

from totalquota.api.fields import (
    NUMBER_DESCRIPTION,
    QUANTITY_DESCRIPTION,
    InputText,
    QuantityText,
    day,
    optional_day,
)
from totalquota.api.schemas import UploadedFileOut, display, patch_of, path
from totalquota.lib import dates
from totalquota.lib.units import format_quantity
from totalquota.reductions import accounting, selectors
from totalquota.reductions.models import (
    Evidence,
    Opinion,
    ProjectTransition,
    ReductionLine,
    ReductionProject,
)


# --- answers -----------------------------------------------------------------------------------
class PollutantFields(Schema):
    """The pollutant of a row (a line, a bulletin row): its code, name and unit."""

    resolve_pollutant = path("pollutant.code", str)
    resolve_pollutant_name = path("pollutant.name", str)
    resolve_unit = path("pollutant.display_unit", str)


def _amount(grams: int, line: ReductionLine) -> str:
    return format_quantity(grams, line.pollutant.unit, suffix=True)


def _used(mapping: str, kind: str) -> Any:
    """A resolver giving the grams used as ``kind`` (``binding_task``, ``offset``, ``sold``) in the
    row's ``mapping`` of use by kind."""
    return staticmethod(lambda row: getattr(row, mapping).get(kind, 0))


class LineFields(PollutantFields):
    """A line's pollutant and its reduction written in the pollutant's unit."""

    @staticmethod
    def resolve_reduction(line: ReductionLine) -> str:
        return _amount(line.reduction_grams, line)


class AmountOut(LineFields):
    pollutant: str
    pollutant_name: str
    unit: str
    reduction_grams: int
    reduction: str


class UsageOut(Schema):
    binding_task_grams: int
    offset_grams: int
    sold_grams: int
    upper_reserve_grams: int
    excluded_grams: int
    unused_grams: int

    resolve_binding_task_grams = _used("by_kind", "binding_task")
    resolve_offset_grams = _used("by_kind", "offset")
    resolve_sold_grams = _used("by_kind", "sold")


class LineOut(LineFields):
    id: int
    pollutant: str
    pollutant_name: str
    unit: str
    method: str
    method_label: str
    inputs: dict[str, Any]
    baseline_grams: int
    post_grams: int
    reduction_grams: int
    baseline: str
    post: str
    reduction: str
    computation: str
    usage: UsageOut

    @staticmethod
    def resolve_method_label(line: ReductionLine) -> str:
        return selectors.method_label(line.method)

    @staticmethod
    def resolve_baseline(line: ReductionLine) -> str:
        return _amount(line.baseline_grams, line)

    @staticmethod
    def resolve_post(line: ReductionLine) -> str:
        return _amount(line.post_grams, line)

    @staticmethod
    def resolve_usage(line: ReductionLine) -> selectors.UsageSummary:
        return selectors.line_usage(line)


class EvidenceOut(UploadedFileOut):
    download_url: str

    @staticmethod
    def resolve_download_url(e: Evidence) -> str:
        return f"/api/v1/reductions/evidence/{e.pk}/file"


class TransitionOut(Schema):
    from_status: str
    to_status: str
    action: str
    actor: str
    role: str
    reason: str
    at: dt.datetime

    resolve_actor = path("actor", str)


class OpinionOut(Schema):
    conclusion: str
    conclusion_label: str
    text: str
    author: str
    organisation: str
    at: dt.datetime

    resolve_conclusion_label = display("conclusion")
    resolve_author = path("author", str)


class RequirementOut(Schema):
    kind: str
    label: str
    reason: str
    satisfied: bool


class ProjectOut(Schema):
    id: int
    code: str | None
    name: str
    zone: str
    zone_name: str
    enterprise_id: int | None
    enterprise_name: str | None
    project_type: str
    subtype: str
    status: str
    status_label: str
    origin: str
    year: int | None
    address: str
    builder: str
    contact_name: str
    contact_phone: str
    start_date: dt.date | None
    completion_date: dt.date | None
    acceptance_date: dt.date | None
    investment_yuan: int | None
    operating_status: str
    eia_approval_number: str
    permit_change: str
    description: str
    suggestion_note: str
    declared_on: dt.date | None = Field(description="申报日期：项目所属申报轮次按此日确定（RED-3）")
    round_id: int | None = Field(
        description="申报轮次：申报之日开放的轮次，无开放轮次时为下一轮；尚未开放为 null"
    )
    round_title: str | None
    late_declaration: bool = Field(description="逾期申报：申报时其计入年度（竣工年度）已截止（RED-3）")
    late_accepted_at: dt.datetime | None = Field(
        description="生态环境局接受逾期申报的时间；接受前不能审核通过"
    )
    late_accept_reason: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    updated_at: dt.datetime
    reductions: list[AmountOut]

    resolve_round_title = path("round.title")
    resolve_zone = path("zone.code")
    resolve_zone_name = path("zone.name")
    resolve_enterprise_name = path("enterprise.name")
    resolve_status_label = display("status")

    @staticmethod
    def resolve_reductions(p: ReductionProject) -> list[ReductionLine]:
        return list(p.lines.all())


class ProjectDetailOut(ProjectOut):
    due_date: dt.date | None
    missing_information: list[str]
    evidence_requirements: list[RequirementOut]
    lines: list[LineOut]
    evidence: list[EvidenceOut]
    transitions: list[TransitionOut]
    opinions: list[OpinionOut]

    @staticmethod
    def resolve_due_date(p: ReductionProject) -> dt.date | None:
        return selectors.due_date(p)

    @staticmethod
    def resolve_missing_information(p: ReductionProject) -> list[str]:
        return selectors.missing_information(p, today=timezone.localdate())

    @staticmethod
    def resolve_evidence_requirements(p: ReductionProject) -> list[selectors.Requirement]:
        return selectors.evidence_requirements(p, on=timezone.localdate())[0]

    @staticmethod
    def resolve_lines(p: ReductionProject) -> list[ReductionLine]:
        return list(p.lines.all())

    @staticmethod
    def resolve_evidence(p: ReductionProject) -> list[Evidence]:
        return list(p.evidence.select_related("uploaded_by"))

    @staticmethod
    def resolve_transitions(p: ReductionProject) -> list[ProjectTransition]:
        return list(p.transitions.select_related("actor"))

    @staticmethod
    def resolve_opinions(p: ReductionProject) -> list[Opinion]:
        return list(p.opinions.select_related("author"))


class UsageMarkOut(Schema):
    id: int
    line_id: int
    kind: str
    amount_grams: int
    reference: str
    used_on: dt.date
    cancelled_at: dt.datetime | None


class RoundOut(Schema):
    id: int
    year: int
    quarter: int
    title: str
    opens_on: dt.date
    deadline: dt.date
    covers_from: dt.date
    covers_to: dt.date
    note: str


class FactorOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    pollutant: str | None
    value: str
    unit: str
    source: str
    source_detail: str
    effective_from: dt.date
    effective_to: dt.date | None

    resolve_pollutant = path("pollutant.code")


class ParamOut(Schema):
    name: str
    label: str
    kind: str
    unit: str
    required: bool
    choices: list[list[str]]

    @staticmethod
    def resolve_label(p: accounting.Param) -> str:
        return str(p.label)  # labels are translations, in the request's language

    @staticmethod
    def resolve_choices(p: accounting.Param) -> list[list[str]]:
        return [[str(part) for part in c] for c in p.choices]


class MethodOut(Schema):
    code: str
    label: str
    formula: str
    description: str
    pollutants: list[str] | None
    params: list[ParamOut]

    @staticmethod
    def resolve_label(m: accounting.Method) -> str:
        return str(m.label)  # label, formula and description are translations

    @staticmethod
    def resolve_formula(m: accounting.Method) -> str:
        return str(m.formula)

    @staticmethod
    def resolve_description(m: accounting.Method) -> str:
        return str(m.description)

    @staticmethod
    def resolve_pollutants(m: accounting.Method) -> list[str] | None:
        return sorted(m.pollutants) if m.pollutants is not None else None


class LibraryLineOut(PollutantFields):
    # An approved line with its use so far (``excluded_grams`` and ``upper_grams`` are annotated by
    # ``selectors.library_lines``). A comment, not a docstring: a docstring is the schema's public
    # description.

    line_id: int
    project_id: int
    project_code: str | None
    project_name: str
    zone: str
    enterprise_name: str | None
    project_type: str
    pollutant: str
    unit: str
    method: str
    reduction_grams: int
    excluded_grams: int
    unused_grams: int
    upper_reserve_grams: int
    decided_at: dt.datetime | None

    resolve_line_id = path("pk")
    resolve_project_code = path("project.code")
    resolve_project_name = path("project.name")
    resolve_zone = path("project.zone.code")
    resolve_enterprise_name = path("project.enterprise.name")
    resolve_project_type = path("project.project_type")
    resolve_upper_reserve_grams = path("upper_grams", int)
    resolve_decided_at = path("project.decided_at")

    @staticmethod
    def resolve_unused_grams(line: Any) -> int:
        return int(line.reduction_grams - line.excluded_grams)


class BulletinRowOut(PollutantFields):
    pollutant: str
    pollutant_name: str
    unit: str
    projects: int
    period_grams: int
    verified_grams: int
    binding_task_grams: int
    offset_grams: int
    sold_grams: int
    reserve_grams: int
    used_grams: int
    unused_grams: int
    upper_reserve_grams: int

    resolve_binding_task_grams = _used("used", "binding_task")
    resolve_offset_grams = _used("used", "offset")
    resolve_sold_grams = _used("used", "sold")
    resolve_upper_reserve_grams = path("upper_grams")


class BulletinProjectOut(Schema):
    code: str
    name: str
    enterprise: str
    type_label: str
    decided_on: dt.date
    reductions: str

    resolve_reductions = path("reductions_text")


class BulletinZoneOut(Schema):
    zone: str
    zone_name: str
    rows: list[BulletinRowOut]
    projects: list[BulletinProjectOut]

    resolve_zone = path("zone.code")
    resolve_zone_name = path("zone.name")


class BulletinOut(Schema):
    # Built from reductions.bulletin.Bulletin (a comment: a docstring would be its public description).

    title: str
    issuer: str
    start: dt.date
    end: dt.date
    zones: list[BulletinZoneOut]
    totals: list[BulletinRowOut]


class ImportOut(Schema):
    projects: int
    lines: int
    codes: list[str]


# --- inputs ------------------------------------------------------------------------------------
class ProjectWhereWhenIn(Schema):
    """What a declaration and a change to it read alike: the zone and unit, the dates (each in its
    plausible range) and the investment."""

    zone: str | None = None
    enterprise: str | None = None
    start_date: dt.date | None = optional_day(dates.PROJECT_START, "开工时间")
    completion_date: dt.date | None = optional_day(dates.PROJECT_COMPLETION, "竣工时间")
    acceptance_date: dt.date | None = optional_day(dates.PROJECT_ACCEPTANCE, "验收时间")
    investment: str | StrictInt | None = Field(
        None, description='资金投入（万元，最多 4 位小数），如 "85.5"；不接受布尔值和小数形式的 JSON 数字'
    )


class ProjectIn(ProjectWhereWhenIn):
    name: str
    project_type: str
    subtype: str
    address: str = ""
    builder: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    operating_status: str = ""
    eia_approval_number: str = ""
    permit_change: str = ""
    description: str = ""


# A change to a project: any field of ProjectIn, each optional.
class ProjectPatch(patch_of(ProjectIn)):  # type: ignore[misc]
    pass


class SuggestionIn(Schema):
    name: str
    project_type: str
    subtype: str
    zone: str
    suggestion_note: str
    enterprise: str | None = None
    address: str = ""
    builder: str = ""
    description: str = ""


class LineIn(Schema):
    method: str
    inputs: dict[str, InputText] = Field({}, description=NUMBER_DESCRIPTION)
    factors: dict[str, int] = {}


class ReasonIn(Schema):
    reason: str = ""


class OpinionIn(Schema):
    conclusion: str
    text: str


class UsageIn(Schema):
    kind: str
    reference: str
    used_on: dt.date = day(dates.USAGE_DAY, "使用日期，不晚于今天")
    amount: QuantityText | None = Field(None, description="留空表示尚未标记的全部；" + QUANTITY_DESCRIPTION)
    note: str = ""


class RoundIn(Schema):
    year: int
    quarter: int
    opens_on: dt.date = day(dates.ROUND_DAY, "开始日期")
    deadline: dt.date = day(dates.ROUND_DAY, "申报截止日期")
    covers_from: dt.date = day(dates.ROUND_DAY, "覆盖竣工日期自")
    covers_to: dt.date = day(dates.ROUND_DAY, "覆盖竣工日期至")
    title: str = ""
    note: str = ""


class RoundNextIn(patch_of(RoundIn)):  # type: ignore[misc]
    """The next round: every field left out takes its default (``GET /reductions/rounds/next``)."""


class RoundDefaultsOut(Schema):
    year: int
    quarter: int
    title: str
    opens_on: dt.date
    deadline: dt.date
    covers_from: dt.date
    covers_to: dt.date
    note: str


class FactorIn(Schema):
    code: str
    name: str
    kind: str = "emission"
    pollutant: str | None = None
    value: str
    unit: str
    source: str
    source_detail: str = ""
    effective_from: dt.date = day(dates.FACTOR_DAY, "生效日期")


class RetireIn(Schema):
    effective_to: dt.date = day(dates.FACTOR_DAY, "停用日期")
