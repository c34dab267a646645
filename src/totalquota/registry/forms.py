from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.registry.models import Enterprise, ManagementCategory, Pollutant, Zone
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


class RuleParameterForm(StyledForm):
    key = forms.ChoiceField(label=_("参数"), choices=[])
    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all(), required=False)
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.all(), required=False)
    value = forms.CharField(
        label=_("取值（JSON）"),
        help_text=_(
            "克数填整数，如 1000000 表示 1 t/a；比例填 [2, 1]；百分比以万分之一计，如 8000 表示 80%；为空填 null"
        ),
    )
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(label=_("依据说明"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(k.key, f"{k.key} — {k.label}") for k in RULE_KEYS.values()]

    def clean_value(self):
        try:
            return json.loads(self.cleaned_data["value"])
        except ValueError:
            raise forms.ValidationError(_("取值不是有效的 JSON")) from None
