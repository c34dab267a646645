from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from totalquota.reductions.accounting import METHODS
from totalquota.reductions.models import (
    AccountingFactor,
    DeclarationRound,
    FactorKind,
    Origin,
    ProjectStatus,
    ProjectType,
    ReductionLine,
    ReductionProject,
)
from totalquota.registry.models import Pollutant, Zone


def year_choices():
    years = (
        ReductionProject.objects.exclude(year__isnull=True)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    return [(str(y), str(y)) for y in years]


class ProjectFilter(django_filters.FilterSet):
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    project_type = django_filters.ChoiceFilter(label=_("类型"), choices=ProjectType.choices)
    pollutant = django_filters.ModelChoiceFilter(
        label=_("污染物"), queryset=Pollutant.objects.all(), method="filter_pollutant"
    )
    year = django_filters.ChoiceFilter(label=_("减排年度"), choices=year_choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProjectStatus.choices)
    origin = django_filters.ChoiceFilter(label=_("来源"), choices=Origin.choices)
    round = django_filters.ModelChoiceFilter(label=_("申报轮次"), queryset=DeclarationRound.objects.all())
    late_declaration = django_filters.ChoiceFilter(
        label=_("逾期申报"),
        choices=[("1", _("逾期申报")), ("0", _("按期申报"))],
        method="filter_late",
    )

    class Meta:
        model = ReductionProject
        fields = ["zone", "project_type", "year", "status", "origin", "round"]

    def filter_late(self, queryset, name, value):
        return queryset.filter(late_declaration=value == "1")

    def filter_pollutant(self, queryset, name, value):
        lines = ReductionLine.objects.filter(project=OuterRef("pk"), pollutant=value)
        return queryset.filter(Exists(lines))


class LibraryFilter(django_filters.FilterSet):
    zone = django_filters.ModelChoiceFilter(
        label=_("功能区"), queryset=Zone.objects.all(), field_name="project__zone"
    )
    project_type = django_filters.ChoiceFilter(
        label=_("类型"), choices=ProjectType.choices, field_name="project__project_type"
    )
    pollutant = django_filters.ModelChoiceFilter(label=_("污染物"), queryset=Pollutant.objects.all())
    year = django_filters.ChoiceFilter(label=_("减排年度"), choices=year_choices, field_name="project__year")
    method = django_filters.ChoiceFilter(
        label=_("核算方法"), choices=[(m.code, m.label) for m in METHODS.values()]
    )
    usage = django_filters.ChoiceFilter(
        label=_("使用情况"),
        choices=[("unused", _("尚未使用")), ("partly", _("部分使用")), ("used", _("已全部使用"))],
        method="filter_usage",
    )

    class Meta:
        model = ReductionLine
        fields = ["pollutant", "method"]

    def filter_usage(self, queryset, name, value):
        from django.db.models import F

        if value == "unused":
            return queryset.filter(excluded_grams=0)
        if value == "used":
            return queryset.filter(excluded_grams__gte=F("reduction_grams"))
        return queryset.filter(excluded_grams__gt=0, excluded_grams__lt=F("reduction_grams"))


class RoundFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("年度"))

    class Meta:
        model = DeclarationRound
        fields = ["year"]


class FactorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=FactorKind.choices)
    pollutant = django_filters.ModelChoiceFilter(label=_("污染物"), queryset=Pollutant.objects.all())
    in_force = django_filters.BooleanFilter(
        label=_("现行有效"), field_name="effective_to", lookup_expr="isnull"
    )

    class Meta:
        model = AccountingFactor
        fields = ["kind", "pollutant"]
