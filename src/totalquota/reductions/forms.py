"""Forms of the reduction library: they only parse; the services check and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.lib import dates
from totalquota.lib.units import QUANTITY_HELP, normalize_form_data
from totalquota.reductions import accounting
from totalquota.reductions.models import (
    SUBTYPES,
    AccountingFactor,
    EvidenceKind,
    FactorKind,
    OperatingStatus,
    OpinionConclusion,
    ProjectType,
    Subtype,
    UsageKind,
)
from totalquota.registry.models import Enterprise, Pollutant, Zone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def revalidate(form: forms.Form) -> None:
    """Forget errors computed before the form's choices were narrowed to the person's scope.

    ``StyledFormMixin`` reads ``form.errors`` while styling, i.e. before a subclass has set its
    querysets; those errors (and the ``is-invalid`` classes) are recomputed against the final fields.
    """
    form._errors = None  # type: ignore[attr-defined]
    for name, field in form.fields.items():
        widget = field.widget
        classes = [c for c in widget.attrs.get("class", "").split() if c != "is-invalid"]
        if not classes:  # a field added after the mixin styled the others
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                classes = ["form-check-input"]
            elif isinstance(widget, forms.Select):
                classes = ["form-select"]
            else:
                classes = ["form-control"]
        if form.is_bound and name in form.errors:
            classes.append("is-invalid")
        widget.attrs["class"] = " ".join(classes)


def subtype_choices() -> list[tuple[Any, Any]]:
    return [("", "---------")] + [
        (ProjectType(t).label, [(s, Subtype(s).label) for s in subtypes]) for t, subtypes in SUBTYPES.items()
    ]


class ProjectForm(StyledForm):
    name = forms.CharField(label=_("项目名称"), max_length=200)
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.filter(is_active=True))
    enterprise = forms.ModelChoiceField(
        label=_("排污单位"),
        queryset=Enterprise.objects.none(),
        required=False,
        help_text=_("无排污单位的项目（如老旧机动车淘汰）可不选"),
    )
    project_type = forms.ChoiceField(label=_("减排工程类型（RED-1）"), choices=ProjectType.choices)
    subtype = forms.ChoiceField(label=_("具体类型"), choices=subtype_choices)
    builder = forms.CharField(label=_("建设单位"), max_length=200, required=False)
    address = forms.CharField(label=_("项目地址"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    start_date = dates.form_field(dates.PROJECT_START, _("开工时间"), required=False, widget=DATE)
    completion_date = dates.form_field(dates.PROJECT_COMPLETION, _("竣工时间"), required=False, widget=DATE)
    acceptance_date = dates.form_field(dates.PROJECT_ACCEPTANCE, _("验收时间"), required=False, widget=DATE)
    investment = forms.CharField(
        label=_("资金投入（万元）"),
        max_length=24,
        required=False,
        help_text=format_lazy("{}；{}", _("最多 4 位小数；关停类可填 0"), QUANTITY_HELP),
    )
    operating_status = forms.ChoiceField(
        label=_("减排运行情况"), choices=[("", "---------"), *OperatingStatus.choices], required=False
    )
    eia_approval_number = forms.CharField(label=_("环评批复文号"), max_length=100, required=False)
    permit_change = forms.CharField(
        label=_("排污许可证变更情况"),
        max_length=300,
        required=False,
        help_text=_("如：已于 2025-06 变更，许可排放量相应核减"),
    )
    description = forms.CharField(
        label=_("项目概况"), required=False, widget=forms.Textarea(attrs={"rows": 3, "col": "col-12"})
    )

    def __init__(self, data=None, *args, zones=None, enterprises=None, fixed_unit: bool = False, **kwargs):
        super().__init__(normalize_form_data(data, ["investment"]), *args, **kwargs)
        zone_field = self.fields["zone"]
        assert isinstance(zone_field, forms.ModelChoiceField)
        if zones is not None:
            zone_field.queryset = zones
        unit_field = self.fields["enterprise"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = enterprises if enterprises is not None else Enterprise.objects.none()
        if fixed_unit:
            # Enterprise staff declare for their own unit in its zone; the service fixes both.
            del self.fields["zone"]
            del self.fields["enterprise"]
        revalidate(self)


class SuggestionForm(StyledForm):
    name = forms.CharField(label=_("项目名称"), max_length=200)
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.filter(is_active=True))
    enterprise = forms.ModelChoiceField(
        label=_("排污单位"), queryset=Enterprise.objects.filter(is_active=True), required=False
    )
    project_type = forms.ChoiceField(label=_("减排工程类型（RED-1）"), choices=ProjectType.choices)
    subtype = forms.ChoiceField(label=_("具体类型"), choices=subtype_choices)
    suggestion_note = forms.CharField(
        label=_("增补建议理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "col": "col-12"}),
        help_text=_("如年度重点项目、专项排查、排污许可变更、引导资金补助等信息（RED-3）"),
    )
    builder = forms.CharField(label=_("建设单位"), max_length=200, required=False)
    address = forms.CharField(label=_("项目地址"), max_length=300, required=False)
    description = forms.CharField(
        label=_("项目概况"), required=False, widget=forms.Textarea(attrs={"rows": 3, "col": "col-12"})
    )


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("理由或意见"), required=False, widget=forms.Textarea(attrs={"rows": 3, "col": "col-12"})
    )


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("通过，纳入减排库")), ("return", _("退回修改")), ("reject", _("不通过"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("审核意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "col": "col-12"}),
        help_text=_("退回修改须填写修改意见；不通过须说明原因（RED-4）"),
    )


class OpinionForm(StyledForm):
    conclusion = forms.ChoiceField(label=_("结论"), choices=OpinionConclusion.choices)
    text = forms.CharField(label=_("技术意见"), widget=forms.Textarea(attrs={"rows": 4, "col": "col-12"}))


class EvidenceForm(StyledForm):
    kind = forms.ChoiceField(label=_("材料类型"), choices=EvidenceKind.choices)
    file = forms.FileField(label=_("文件"), help_text=_("PDF、图片或 Office 文档；按文件内容校验类型"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class UsageForm(StyledForm):
    kind = forms.ChoiceField(label=_("用途"), choices=UsageKind.choices)
    amount = forms.CharField(
        label=_("数量"),
        max_length=100,
        required=False,
        help_text=format_lazy("{}；{}", _("留空表示全部未标记数量"), QUANTITY_HELP),
    )
    reference = forms.CharField(label=_("依据文号"), max_length=200)
    used_on = dates.form_field(dates.USAGE_DAY, _("使用日期"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(normalize_form_data(data, ["amount"]), *args, **kwargs)


class RoundForm(StyledForm):
    year = forms.IntegerField(label=_("年度"), min_value=dates.SCOPE_START.year, max_value=dates.LATEST.year)
    quarter = forms.TypedChoiceField(label=_("季度"), choices=[(i, i) for i in range(1, 5)], coerce=int)
    title = forms.CharField(label=_("名称"), max_length=100, required=False)
    opens_on = dates.form_field(dates.ROUND_DAY, _("开始日期"), widget=DATE)
    deadline = dates.form_field(dates.ROUND_DAY, _("申报截止日期"), widget=DATE)
    covers_from = dates.form_field(dates.ROUND_DAY, _("覆盖竣工日期自"), widget=DATE)
    covers_to = dates.form_field(dates.ROUND_DAY, _("覆盖竣工日期至"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class FactorForm(StyledForm):
    code = forms.CharField(label=_("编号"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=200)
    kind = forms.ChoiceField(label=_("类别"), choices=FactorKind.choices)
    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all(), required=False)
    value = forms.CharField(label=_("取值"), max_length=64, help_text=_("精确小数，或分数 p/q"))
    unit = forms.ChoiceField(
        label=_("单位"),
        choices=[(u, accounting.UNIT_LABELS.get(u, u)) for u in accounting.FACTOR_UNITS]
        + [(accounting.EFFICIENCY_UNIT, accounting.EFFICIENCY_UNIT)],
    )
    source = forms.CharField(label=_("来源文件或标准"), max_length=300)
    source_detail = forms.CharField(label=_("原文取值及出处"), max_length=300, required=False)
    effective_from = dates.form_field(dates.FACTOR_DAY, _("生效日期"), widget=DATE)


class FactorRetireForm(StyledForm):
    effective_to = dates.form_field(
        dates.FACTOR_DAY,
        _("停用日期"),
        widget=DATE,
        extra_help=_("自该日起不再可选；此前已核算的减排量不受影响"),
    )


class ImportForm(StyledForm):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class BulletinForm(forms.Form):
    zone = forms.ModelChoiceField(
        label=_("功能区"),
        queryset=Zone.objects.filter(is_active=True),
        required=False,
        empty_label=_("全部功能区"),
    )
    start = dates.form_field(dates.QUERY_DAY, _("起始日期"), widget=DATE)
    end = dates.form_field(dates.QUERY_DAY, _("截止日期"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("截止日期不能早于起始日期"))
        return data


class LineForm(StyledForm):
    """The inputs of one accounting method; built per method from its parameter list."""

    def __init__(self, data=None, *args, method: accounting.Method, pollutant: Pollutant, on=None, **kwargs):
        numeric = [p.name for p in method.params if p.kind in ("amount", "number", "percent")]
        super().__init__(normalize_form_data(data, numeric), *args, **kwargs)
        self.method = method
        on = on or timezone.localdate()
        in_force = AccountingFactor.objects.in_force(on)
        unit = pollutant.unit.value
        for p in method.params:
            help_text: Any = p.help
            suffix = {"amount": unit, "percent": "%"}.get(p.kind, p.unit)
            label = f"{p.label}（{suffix}）" if suffix else str(p.label)
            if p.kind == "factor":
                self.fields[p.name] = forms.ModelChoiceField(
                    label=label,
                    queryset=in_force.filter(kind=FactorKind.EMISSION)
                    .filter(models_q_pollutant(pollutant))
                    .order_by("code"),
                    required=p.required,
                    help_text=help_text or _("系数及其来源见“核算系数”"),
                )
                continue
            if p.kind == "choice":
                self.fields[p.name] = forms.ChoiceField(label=label, choices=p.choices, required=p.required)
                continue
            widget = (
                forms.TextInput(attrs={"inputmode": "decimal"}) if p.kind != "text" else forms.TextInput()
            )
            efficiencies = (
                in_force.filter(kind=FactorKind.EFFICIENCY).filter(models_q_pollutant(pollutant))
                if p.kind == "percent"
                else AccountingFactor.objects.none()
            )
            has_reference = efficiencies.exists()
            # A percentage may come from a reference efficiency instead of being typed.
            if p.kind != "text":
                help_text = format_lazy("{}；{}", help_text, QUANTITY_HELP) if help_text else QUANTITY_HELP
            self.fields[p.name] = forms.CharField(
                label=label,
                required=p.required and not has_reference,
                help_text=help_text,
                widget=widget,
                max_length=300,
            )
            if has_reference:
                self.fields[f"{p.name}__factor"] = forms.ModelChoiceField(
                    label=_("或选用参考效率"), queryset=efficiencies, required=False
                )
        revalidate(self)

    def split(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(inputs, factors)`` for :func:`services.line_set` from the cleaned data."""
        inputs: dict[str, Any] = {}
        factors: dict[str, Any] = {}
        for p in self.method.params:
            value = self.cleaned_data.get(p.name)
            chosen = self.cleaned_data.get(f"{p.name}__factor")
            if p.kind == "factor":
                if value is not None:
                    factors[p.name] = value.pk
            elif chosen is not None:
                factors[p.name] = chosen.pk
            elif value not in (None, ""):
                inputs[p.name] = value
        return inputs, factors


def models_q_pollutant(pollutant: Pollutant):
    from django.db.models import Q

    return Q(pollutant__isnull=True) | Q(pollutant=pollutant)
