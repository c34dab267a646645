"""Forms of technical review and consistency (TOT-3)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.emissions.models import (
    OVER_EMISSION,
    ConsistencyFlag,
    EmissionReport,
    FlagKind,
    FlagStatus,
    OpinionConclusion,
    SourceFigure,
    SourceImport,
    SourceKind,
)
from totalquota.emissions.services.review import BUREAU_SOURCES
from totalquota.lib import dates
from totalquota.registry.models import Pollutant, Zone


class OpinionForm(StyledForm):
    conclusion = forms.ChoiceField(label=_("结论"), choices=OpinionConclusion.choices)
    text = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 3}))
    organisation = forms.CharField(label=_("机构"), max_length=100, required=False)


class ResolveForm(StyledForm):
    reason = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 2}))


def _last_year() -> int:
    return timezone.localdate().year - 1


class SourceImportForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("数据来源"), choices=[(k.value, k.label) for k in SourceKind if k in BUREAU_SOURCES]
    )
    year = forms.IntegerField(
        label=_("排放年度"), min_value=dates.SCOPE_START.year, max_value=dates.LATEST.year
    )
    source = forms.CharField(
        label=_("来源说明"), max_length=200, help_text=_("如：2025 年环境统计年报（园区汇总）")
    )
    source_date = forms.DateField(label=_("数据日期"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("文件"), help_text=_("XLSX，或 UTF-8 / GB18030 编码的 CSV"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"year": _last_year()})
        super().__init__(*args, **kwargs)


def _years(model) -> list[tuple[str, str]]:
    years = model.objects.values_list("year", flat=True).distinct().order_by("-year")
    return [(str(y), str(y)) for y in years]


class AwaitingFilter(django_filters.FilterSet):
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    year = django_filters.ChoiceFilter(label=_("排放年度"), choices=lambda: _years(EmissionReport))
    has_opinion = django_filters.BooleanFilter(label=_("已有技术审核意见"))
    has_open_flags = django_filters.BooleanFilter(label=_("有未处理提示"))

    class Meta:
        model = EmissionReport
        fields = ["zone", "year"]


class FlagFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=FlagKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=FlagStatus.choices)
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    year = django_filters.ChoiceFilter(label=_("排放年度"), choices=lambda: _years(ConsistencyFlag))
    pollutant = django_filters.ModelChoiceFilter(label=_("污染物"), queryset=Pollutant.objects.all())

    class Meta:
        model = ConsistencyFlag
        fields = ["kind", "status", "zone", "year", "pollutant"]


class CandidateFilter(FlagFilter):
    kind = django_filters.ChoiceFilter(
        label=_("类型"), choices=[(k.value, k.label) for k in FlagKind if k in OVER_EMISSION]
    )


class SourceImportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("数据来源"), choices=SourceKind.choices)
    year = django_filters.ChoiceFilter(label=_("排放年度"), choices=lambda: _years(SourceImport))

    class Meta:
        model = SourceImport
        fields = ["kind", "year"]


class FigureFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("数据来源"), choices=SourceKind.choices)
    year = django_filters.ChoiceFilter(label=_("排放年度"), choices=lambda: _years(SourceFigure))
    pollutant = django_filters.ModelChoiceFilter(label=_("污染物"), queryset=Pollutant.objects.all())
    batch = django_filters.NumberFilter(label=_("导入批次"))

    class Meta:
        model = SourceFigure
        fields = ["kind", "year", "pollutant", "batch"]
