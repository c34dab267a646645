"""Forms of the enforcement pages (SUP-4): registering a finding, evidence and answer files, the
penalty proposal, and the filters of the lists."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.enforcement.models import (
    CreditEntry,
    CreditKind,
    Finding,
    FindingSource,
    FindingStatus,
    Severity,
)
from totalquota.registry.models import Pollutant, Zone

DATE = forms.DateInput(attrs={"type": "date"})


class FindingForm(StyledForm):
    """A finding from an enforcement event or an inspection (a flag's finding starts on the flag)."""

    source = forms.ChoiceField(
        label=_("来源"),
        choices=[
            (s.value, s.label) for s in FindingSource if s in (FindingSource.EVENT, FindingSource.INSPECTION)
        ],
    )
    enterprise: forms.ModelChoiceField = forms.ModelChoiceField(label=_("排污单位"), queryset=None)  # type: ignore[arg-type]
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    pollutant = forms.ModelChoiceField(label=_("污染物"), queryset=Pollutant.objects.all(), required=False)
    event_reference = forms.CharField(
        label=_("执法事件编号"),
        max_length=64,
        required=False,
        help_text=_("执法系统中的事件编号（来源为执法事件时必填）"),
    )
    inspection_date = forms.DateField(label=_("检查日期"), required=False, widget=DATE)
    inspectors = forms.CharField(
        label=_("检查人员"), max_length=200, required=False, help_text=_("来源为现场检查时必填")
    )
    facts = forms.CharField(label=_("违法事实"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("证据材料"), required=False)

    def __init__(self, *args: Any, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]


class FlagFindingForm(StyledForm):
    """A finding from a flag of the emission library: the facts and optional evidence."""

    facts = forms.CharField(label=_("违法事实"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("证据材料"), required=False)


class FileForm(StyledForm):
    file = forms.FileField(label=_("文件"))


class ProposeForm(StyledForm):
    decision_number = forms.CharField(label=_("处罚决定书文号"), max_length=64)
    penalty_yuan = forms.CharField(
        label=_("罚款金额（元）"), max_length=40, help_text=_("最多两位小数；仅警告时填 0")
    )
    legal_basis = forms.CharField(
        label=_("法律依据"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(label=_("失信程度"), choices=Severity.choices)
    note = forms.CharField(label=_("说明"), max_length=2000, required=False)


def _years(model: Any, field: str = "year") -> list[tuple[str, str]]:
    years = model.objects.values_list(field, flat=True).distinct().order_by(f"-{field}")
    return [(str(y), str(y)) for y in years]


class FindingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=FindingStatus.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=FindingSource.choices)
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    year = django_filters.ChoiceFilter(label=_("年度"), choices=lambda: _years(Finding))
    enterprise = django_filters.NumberFilter(label=_("排污单位编号"), widget=forms.HiddenInput)

    class Meta:
        model = Finding
        fields = ["status", "source", "zone", "year", "enterprise"]


def _credit_years() -> list[tuple[str, str]]:
    years = {d.year for d in CreditEntry.objects.values_list("recorded_on", flat=True)}
    return [(str(y), str(y)) for y in sorted(years, reverse=True)]


class CreditFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("信用记录类型"), choices=CreditKind.choices)
    severity = django_filters.ChoiceFilter(label=_("失信程度"), choices=Severity.choices)
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    year = django_filters.ChoiceFilter(label=_("年度"), field_name="recorded_on__year", choices=_credit_years)
    enterprise = django_filters.NumberFilter(label=_("排污单位编号"), widget=forms.HiddenInput)

    class Meta:
        model = CreditEntry
        fields = ["kind", "severity", "zone", "year", "enterprise"]
