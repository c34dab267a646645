from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.registry.models import (
    CalendarDay,
    Enterprise,
    ManagementCategory,
    PermitLimit,
    Pollutant,
    RuleParameter,
    Zone,
)
from totalquota.registry.rules import RULE_KEYS


class EnterpriseFilter(django_filters.FilterSet):
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    management_category = django_filters.ChoiceFilter(label=_("管理类别"), choices=ManagementCategory.choices)
    industry_code = django_filters.CharFilter(label=_("行业代码"), lookup_expr="istartswith")
    is_active = django_filters.BooleanFilter(label=_("在册"))
    has_permit = django_filters.BooleanFilter(label=_("有许可证编号"), method="filter_has_permit")

    class Meta:
        model = Enterprise
        fields = ["zone", "management_category", "industry_code", "is_active"]

    def filter_has_permit(self, queryset, name, value):
        return queryset.exclude(permit_number="") if value else queryset.filter(permit_number="")


def _rule_choices() -> list[tuple[str, str]]:
    return sorted(((k.key, k.title) for k in RULE_KEYS.values()), key=lambda c: c[1])


class RuleParameterFilter(django_filters.FilterSet):
    key = django_filters.ChoiceFilter(label=_("参数"), choices=_rule_choices)
    clause_id = django_filters.CharFilter(label=_("条款"), lookup_expr="iexact")
    in_force = django_filters.BooleanFilter(
        label=_("现行有效"), field_name="effective_to", lookup_expr="isnull"
    )

    class Meta:
        model = RuleParameter
        fields = ["key", "clause_id"]


class PermitLimitFilter(django_filters.FilterSet):
    zone = django_filters.ModelChoiceFilter(
        label=_("功能区"), field_name="enterprise__zone", queryset=Zone.objects.all()
    )
    pollutant = django_filters.ModelChoiceFilter(label=_("污染物"), queryset=Pollutant.objects.all())
    in_force = django_filters.BooleanFilter(label=_("现行有效"), method="filter_in_force")

    class Meta:
        model = PermitLimit
        fields = ["zone", "pollutant"]

    def filter_in_force(self, queryset, name, value):
        today = timezone.localdate()
        current = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        return queryset.filter(current) if value else queryset.exclude(current)


class CalendarDayFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("年度"), field_name="date", lookup_expr="year")
    is_working_day = django_filters.BooleanFilter(label=_("调休上班"))

    class Meta:
        model = CalendarDay
        fields = ["year", "is_working_day"]
