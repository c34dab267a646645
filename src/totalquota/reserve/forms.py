"""The forms of the quota reserve's pages; quantities are typed in the pollutant's display unit."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal, in_zones
from totalquota.common.forms import StyledForm
from totalquota.ledger.models import Account, AccountKind
from totalquota.lib import dates
from totalquota.lib.units import (
    QUANTITY_HELP,
    QuantityError,
    format_quantity,
    normalize_form_data,
    parse_quantity,
)
from totalquota.registry.models import Enterprise, Indicator, Pollutant, Zone
from totalquota.reserve.lines import read_line
from totalquota.reserve.models import DocumentKind, ExclusionReason, RecoveryKind

LINE_INPUTS = [
    ("project_sewer_grams", _("本项目（接管量）")),
    ("project_env_grams", _("本项目（外排环境量）")),
    ("plant_sewer_grams", _("全厂（接管量）")),
    ("plant_env_grams", _("全厂（外排环境量）")),
    ("new_discharge_grams", _("全厂新增外排环境量")),
]


class ApplicationForm(StyledForm):
    enterprise = forms.ModelChoiceField(label=_("排污单位"), queryset=Enterprise.objects.none())
    project_name = forms.CharField(label=_("建设项目名称"), max_length=200)
    location = forms.CharField(label=_("建设地点"), max_length=300)
    eia_reference = forms.CharField(label=_("环评文件（文号）"), max_length=200)
    description = forms.CharField(
        label=_("项目概况"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, principal: Principal, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enterprise"]
        assert isinstance(field, forms.ModelChoiceField)
        units = in_zones(
            principal, Enterprise.objects.filter(is_active=True).select_related("zone"), "zone_id"
        )
        if principal.enterprise_id is not None:
            units = units.filter(pk=principal.enterprise_id)
        field.queryset = units
        if editing:
            field.disabled = True


class LinesForm(forms.Form):
    """One row per pollutant, five quantities each, in the pollutant's display unit; blank rows are
    not applied for. The values come back as integer grams in ``lines``."""

    help_text = QUANTITY_HELP

    def __init__(self, data=None, *args, initial_lines: dict[str, dict[str, int]] | None = None, **kwargs):
        self.pollutants = list(Pollutant.objects.all())
        names = [f"{p.code}__{name}" for p in self.pollutants for name, _label in LINE_INPUTS]
        # Shown back normalised (full-width digits as ASCII), as the API returns them.
        super().__init__(normalize_form_data(data, names), *args, **kwargs)
        initial_lines = initial_lines or {}
        for p in self.pollutants:
            for name, label in LINE_INPUTS:
                grams = initial_lines.get(p.code, {}).get(name)
                self.fields[f"{p.code}__{name}"] = forms.CharField(
                    label=f"{p.name} {label}",
                    required=False,
                    initial=format_quantity(grams, p.unit) if grams is not None else "",
                    help_text=QUANTITY_HELP,
                    widget=forms.TextInput(
                        attrs={
                            "class": "form-control form-control-sm num",
                            "inputmode": "decimal",
                            "title": QUANTITY_HELP,
                        }
                    ),
                )

    def rows(self):
        for p in self.pollutants:
            yield p, [self[f"{p.code}__{name}"] for name, _label in LINE_INPUTS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = []
        for p in self.pollutants:
            raw = {name: (data.get(f"{p.code}__{name}") or "").strip() for name, _l in LINE_INPUTS}
            if not any(raw.values()):
                continue
            values, errors = read_line(p, {name: text or None for name, text in raw.items()})
            for name, message in errors.items():
                self.add_error(f"{p.code}__{name}", message)
            lines.append(values)
        if not lines and not self.errors:
            raise forms.ValidationError(_("请至少填写一种污染物的许可量（ANNEX-1）"))
        data["lines"] = lines
        return data


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("意见或理由"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OperatingForm(StyledForm):
    started_on = dates.form_field(dates.OPERATION_DAY, _("正式投运日期"))


class IntakeForm(StyledForm):
    year = forms.IntegerField(label=_("年度"), min_value=dates.SCOPE_START.year, max_value=dates.LATEST.year)
    quarter = forms.TypedChoiceField(
        label=_("季度"), choices=[(i, format_lazy(_("第 {} 季度"), i)) for i in range(1, 5)], coerce=int
    )
    effective_date = dates.form_field(dates.INTAKE_DAY, _("入库日期"))


class ExcludeForm(StyledForm):
    reason = forms.CharField(label=str(ExclusionReason.OTHER.label), max_length=300)


class QuantityForm(StyledForm):
    """A form with quantities typed in a pollutant's display unit: ``quantities`` are shown back
    normalised (full-width digits as ASCII); ``in_pollutant_unit`` (text field, grams field, whether
    zero is allowed) is read in the unit of the chosen ``pollutant`` into ``cleaned_data``."""

    quantities: tuple[str, ...] = ()
    in_pollutant_unit: tuple[str, str, bool] | None = None

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(normalize_form_data(data, list(self.quantities)), *args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pollutant = data.get("pollutant")
        if self.in_pollutant_unit is not None and pollutant is not None:
            text, grams, allow_zero = self.in_pollutant_unit
            if data.get(text):
                try:
                    data[grams] = parse_quantity(data[text], pollutant.unit, allow_zero=allow_zero)
                except QuantityError as exc:
                    self.add_error(text, str(exc))
        return data


class UpperRequestForm(QuantityForm):
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.filter(is_active=True))
    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all())
    amount = forms.CharField(
        label=_("申请量"), help_text=format_lazy("{}；{}", _("按该污染物的显示单位填写"), QUANTITY_HELP)
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))

    quantities = ("amount",)
    in_pollutant_unit = ("amount", "amount_grams", False)


class UpperGrantForm(QuantityForm):
    granted = forms.CharField(label=_("下达量"), required=False, help_text=QUANTITY_HELP)
    reference = forms.CharField(label=_("上级文件"), max_length=200)
    refuse = forms.BooleanField(label=_("未获支持"), required=False)

    quantities = ("granted",)


class RecoveryForm(QuantityForm):
    kind = forms.ChoiceField(label=_("收回情形"), choices=RecoveryKind.choices)
    surplus = forms.CharField(
        label=_("确认富余量"),
        required=False,
        help_text=format_lazy("{}；{}", _("情形（1）整体退回，不必填写"), QUANTITY_HELP),
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))

    quantities = ("surplus",)


class VerifiedEmissionForm(QuantityForm):
    enterprise = forms.ModelChoiceField(
        label=_("排污单位"), queryset=Enterprise.objects.filter(is_active=True)
    )
    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    actual = forms.CharField(label=_("核实实际排放量"), help_text=QUANTITY_HELP)
    source = forms.CharField(label=_("数据来源"), max_length=300)
    evidence = forms.FileField(
        label=_("佐证材料"), help_text=_("监测报告、执行报告等；PDF、图片或 Office 文档，按文件内容校验类型")
    )

    quantities = ("actual",)
    in_pollutant_unit = ("actual", "actual_grams", True)


class AttainmentForm(StyledForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    zone = forms.ModelChoiceField(
        label=_("功能区"),
        queryset=Zone.objects.filter(is_active=True),
        required=False,
        empty_label=_("全园区"),
        help_text=_("不选功能区即为全园区的评价；功能区没有自己的记录时按全园区的记录"),
    )
    indicator = forms.ChoiceField(label=_("指标"), choices=Indicator.choices)
    attained = forms.BooleanField(label=_("达标"), required=False)
    source = forms.CharField(label=_("依据"), max_length=300)


class WarningPeriodForm(forms.Form):
    start = dates.form_field(
        dates.QUERY_DAY,
        _("起始日期"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    end = dates.form_field(
        dates.QUERY_DAY,
        _("截止日期"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期"))
        return data


def new_token() -> str:
    return uuid.uuid4().hex


class DocumentForm(StyledForm):
    """One document of an application (RES-2): its kind and the file, checked by content."""

    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("文件"), help_text=_("PDF、图片或 Office 文档；按文件内容校验类型"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class LotChoiceField(forms.ModelChoiceField):
    """A reserve lot, shown with its zone, pollutant and source."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.zone} · {obj.pollutant} · {obj.source_label}"


class ZoneTransferForm(StyledForm):
    """拟定功能区间调剂 (RES-2): the lot, the receiving zone, the amount in the pollutant's unit."""

    from_lot = LotChoiceField(label=_("调出批次"), queryset=Account.objects.none())
    to_zone = forms.ModelChoiceField(label=_("调入功能区"), queryset=Zone.objects.filter(is_active=True))
    amount = forms.CharField(label=_("数量"), help_text=_("按该污染物的显示单位（t/a 或 kg/a）填写"))
    effective_date = dates.form_field(dates.LEDGER_DAY, _("生效日期"))
    reason = forms.CharField(label=_("调剂事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["from_lot"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Account.objects.select_related("zone", "pollutant").filter(
            kind=AccountKind.LOT, closed_at__isnull=True, balance__credits_posted__gt=0
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lot = data.get("from_lot")
        if lot is not None and data.get("amount"):
            try:
                data["amount_grams"] = parse_quantity(data["amount"], lot.pollutant.unit, allow_zero=False)
            except QuantityError as exc:
                self.add_error("amount", str(exc))
        return data


class CorrectionForm(StyledForm):
    reason = forms.CharField(label=_("更正事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
