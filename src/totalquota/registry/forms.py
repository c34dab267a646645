from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.lib import dates
from totalquota.lib.units import QUANTITY_HELP, QuantityError, Unit, normalize_form_data, parse_quantity
from totalquota.registry.models import ChangeKind, Enterprise, ManagementCategory, Pollutant, Zone
from totalquota.registry.rules import RULE_KEYS


class EnterpriseForm(StyledForm):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=24, help_text=_("18 位，GB 32100"))
    permit_number = forms.CharField(
        label=_("排污许可证编号"), max_length=32, required=False, help_text=_("登记管理单位可不填")
    )
    industry_code = forms.CharField(
        label=_("行业代码"), max_length=8, required=False, help_text=_("如 C3982")
    )
    industry_name = forms.CharField(label=_("行业类别"), max_length=100, required=False)
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.filter(is_active=True))
    management_category = forms.ChoiceField(label=_("管理类别"), choices=ManagementCategory.choices)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    contact_email = forms.CharField(label=_("电子邮箱"), max_length=254, required=False)
    is_active = forms.BooleanField(label=_("在册"), required=False, initial=True)

    def __init__(self, *args, zones=None, editing: Enterprise | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if zones is not None:
            zone_field = self.fields["zone"]
            assert isinstance(zone_field, forms.ModelChoiceField)
            zone_field.queryset = zones
        if editing is not None:
            self.fields["uscc"].disabled = True
        else:
            del self.fields["is_active"]


class ImportForm(StyledForm):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


def parse_rule_value(kind: str, text: str, unit: Unit) -> Any:
    """A rule value typed by a person, in the units people use, as the stored JSON value.

    grams: ``1``/``0.1`` in the pollutant's unit (t/a, kg/a), ``无`` for no threshold; ratio:
    ``2:1``; basis points: ``80%``; days and integers: a whole number; month-day: ``02-28``.
    """
    text = (text or "").strip()
    if kind == "grams":
        if text in ("无", "none", "null", ""):
            return None
        try:
            return parse_quantity(text, unit)
        except QuantityError as exc:
            raise forms.ValidationError(str(exc)) from None
    if kind == "ratio":
        parts = text.replace("：", ":").split(":")
        if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
            raise forms.ValidationError(_("比例应写成“分子:分母”，如 2:1"))
        return [int(parts[0]), int(parts[1])]
    if kind == "basis_points":
        try:
            value = Decimal(text.rstrip("%％").strip())
        except InvalidOperation:
            raise forms.ValidationError(_("百分比应写成如 80%")) from None
        points = value * 100
        if points != points.to_integral_value() or not 0 <= points <= 100_000:
            raise forms.ValidationError(_("百分比最多两位小数，且在 0%–1000% 之间"))
        return int(points)
    if kind in ("days", "int"):
        if not text.lstrip("-").isdigit() or (kind == "days" and int(text) < 0):
            raise forms.ValidationError(_("请填写整数"))
        return int(text)
    if kind == "month_day":
        return text
    return text


class RuleParameterForm(StyledForm):
    key = forms.ChoiceField(label=_("参数"), choices=[])
    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all(), required=False)
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.all(), required=False)
    value = forms.CharField(
        label=_("取值"),
        help_text=_(
            "数量按该污染物的单位填写（如 1 表示 1 t/a；重金属按 kg/a），“无”表示不设阈值；比例如 2:1；百分比如 80%；天数填整数"
        ),
    )
    effective_from = dates.form_field(dates.RULE_DAY, _("生效日期"))
    source = forms.CharField(label=_("依据说明"), max_length=300, required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["value"].help_text = format_lazy("{}；{}", self.fields["value"].help_text, QUANTITY_HELP)
        key_field = self.fields["key"]
        assert isinstance(key_field, forms.ChoiceField)
        key_field.choices = [(k.key, f"{k.title}（{k.clause_id}）") for k in RULE_KEYS.values()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        spec = RULE_KEYS.get(data.get("key", ""))
        if spec is not None and "value" in data:
            pollutant = data.get("pollutant")
            unit = pollutant.unit if pollutant is not None else Unit.TONNES_PER_YEAR
            try:
                data["value"] = parse_rule_value(spec.kind, data["value"], unit)
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return data


class ZoneForm(StyledForm):
    code = forms.CharField(label=_("代码"), max_length=32, help_text=_("大写字母、数字，如 HMT"))
    name = forms.CharField(label=_("名称"), max_length=100)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class PermitLimitForm(StyledForm):
    """One permit limit of a unit: quantities in the pollutant's unit (t/a, kg/a for heavy metals)."""

    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all())
    permitted = forms.CharField(
        label=_("许可排放量（外排环境量）"),
        help_text=format_lazy("{}；{}", _("每年，按该污染物的单位填写（重金属为 kg/a）"), QUANTITY_HELP),
    )
    sewer = forms.CharField(
        label=_("许可排放量（接管量）"), required=False, help_text=_("仅水污染物；可不填")
    )
    valid_from = dates.form_field(dates.PLATFORM, _("有效期自"))
    valid_to = dates.form_field(dates.PLATFORM, _("有效期至"), required=False, extra_help=_("长期有效可不填"))
    source = forms.CharField(
        label=_("依据"),
        max_length=300,
        help_text=_("如：排污许可证 91320594MA1XXXXXXX001P（2024 年 3 月核发）"),
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(normalize_form_data(data, ["permitted", "sewer"]), *args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pollutant = data.get("pollutant")
        if pollutant is None:
            return data
        for text, grams in (("permitted", "permitted_grams"), ("sewer", "sewer_grams")):
            if not data.get(text):
                data[grams] = None
                continue
            try:
                data[grams] = parse_quantity(data[text], pollutant.unit)
            except QuantityError as exc:
                self.add_error(text, str(exc))
        return data

    def service_data(self) -> dict[str, Any]:
        """The cleaned data as the service takes it: grams, not the typed text."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("permitted", "sewer")}


class CalendarDayForm(StyledForm):
    date = dates.form_field(dates.PLATFORM, _("日期"))
    is_working_day = forms.TypedChoiceField(
        label=_("类型"),
        choices=[("0", _("放假（周一至周五的节假日）")), ("1", _("上班（周末调休上班）"))],
        coerce=lambda value: value == "1",
    )
    name = forms.CharField(label=_("名称"), max_length=50, help_text=_("如：国庆节、春节调休上班"))


class UnitChangeForm(StyledForm):
    """One change of a unit (单位沿革): the date and its basis, and what the kind of change needs."""

    effective_on = dates.form_field(dates.UNIT_CHANGE_DAY, _("生效日期"), extra_help=_("不晚于今天"))
    reason = forms.CharField(
        label=_("依据或事由"), max_length=500, help_text=_("如市场监管部门的变更登记通知书文号")
    )
    name = forms.CharField(label=_("新的单位名称"), max_length=200)
    uscc = forms.CharField(label=_("新的统一社会信用代码"), max_length=24, help_text=_("18 位，GB 32100"))
    zone = forms.ModelChoiceField(label=_("迁入功能区"), queryset=Zone.objects.none())
    survivor = forms.ModelChoiceField(label=_("存续单位"), queryset=Enterprise.objects.none())
    new_name = forms.CharField(label=_("新设单位名称"), max_length=200)
    new_uscc = forms.CharField(
        label=_("新设单位统一社会信用代码"), max_length=24, help_text=_("18 位，GB 32100")
    )
    new_zone = forms.ModelChoiceField(
        label=_("新设单位功能区"),
        queryset=Zone.objects.none(),
        required=False,
        help_text=_("默认与原单位相同"),
    )
    new_permit_number = forms.CharField(
        label=_("新设单位排污许可证编号"), max_length=32, required=False, help_text=_("可不填")
    )

    FIELDS: dict[str, list[str]] = {
        ChangeKind.RENAME: ["name"],
        ChangeKind.RECODE: ["uscc"],
        ChangeKind.MOVE: ["zone"],
        ChangeKind.MERGE: ["survivor"],
        ChangeKind.SPLIT: ["new_name", "new_uscc", "new_zone", "new_permit_number"],
        ChangeKind.CLOSE: [],
        ChangeKind.REOPEN: [],
    }
    # A refusal of the service names its own fields; they land on the form's.
    SERVICE_FIELDS = {
        "name": "name",
        "uscc": "uscc",
        "zone": "zone",
        "survivor": "survivor",
        "effective_on": "effective_on",
        "reason": "reason",
        "new_unit.name": "new_name",
        "new_unit.uscc": "new_uscc",
        "new_unit.zone": "new_zone",
        "new_unit.permit_number": "new_permit_number",
    }

    def __init__(self, *args: Any, kind: str, enterprise: Enterprise, zones: Any, units: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = {"effective_on", "reason", *self.FIELDS[kind]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name in ("zone", "new_zone"):
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = zones.exclude(pk=enterprise.zone_id) if name == "zone" else zones
        survivor = self.fields.get("survivor")
        if isinstance(survivor, forms.ModelChoiceField):
            survivor.queryset = units.filter(is_active=True).exclude(pk=enterprise.pk)

    def service_data(self) -> dict[str, Any]:
        """The cleaned data as :func:`registry.services.unit_change` takes it."""
        from totalquota.registry.services import NewUnit

        data = self.cleaned_data
        values: dict[str, Any] = {"effective_on": data["effective_on"], "reason": data["reason"]}
        if self.kind == ChangeKind.RENAME:
            values["name"] = data["name"]
        elif self.kind == ChangeKind.RECODE:
            values["uscc_code"] = data["uscc"]
        elif self.kind == ChangeKind.MOVE:
            values["zone"] = data["zone"]
        elif self.kind == ChangeKind.MERGE:
            values["survivor"] = data["survivor"]
        elif self.kind == ChangeKind.SPLIT:
            values["new_unit"] = NewUnit(
                name=data["new_name"],
                uscc=data["new_uscc"],
                zone=data.get("new_zone"),
                permit_number=data.get("new_permit_number") or "",
            )
        return values
