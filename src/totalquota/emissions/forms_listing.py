"""Forms of the management list, deadlines and reminders (TOT-1, TOT-2)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.emissions.deadlines import ReportState
from totalquota.emissions.models import DeadlineKind, ListChange, ListEntry
from totalquota.lib import dates
from totalquota.registry.models import ManagementCategory, Zone


def emission_year() -> int:
    """The emission year whose list and reports are being worked on: last year."""
    return timezone.localdate().year - 1


def year_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("排放年度"),
        min_value=dates.SCOPE_START.year,
        max_value=dates.LATEST.year,
        help_text=_("名录及申报所属的排放年度；名录于次年 2 月底前确定（TOT-1）"),
        **kwargs,
    )


REASON_HELP = _("移出须填写理由；名录确定截止日后的任何变更都须填写理由（TOT-1）")


class ProposeForm(StyledForm):
    """The filters of a proposal from the registry."""

    year = year_field()
    categories = forms.MultipleChoiceField(
        label=_("管理类别"),
        choices=ManagementCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.none(), required=False)
    permit_holders = forms.NullBooleanField(
        label=_("持有排污许可证"),
        required=False,
        widget=forms.Select(choices=[("unknown", _("全部")), ("true", _("是")), ("false", _("否"))]),
    )
    industry = forms.CharField(label=_("行业代码或名称"), max_length=100, required=False)

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        zone_field = self.fields["zone"]
        assert isinstance(zone_field, forms.ModelChoiceField)
        zone_field.queryset = zones if zones is not None else Zone.objects.filter(is_active=True)


class AddForm(StyledForm):
    """The units chosen from a preview, and the basis they are listed on."""

    basis = forms.CharField(label=_("列入依据"), max_length=200, help_text=_("如“重点管理排污许可证”"))
    reason = forms.CharField(label=_("理由"), max_length=300, required=False, help_text=REASON_HELP)


class EditForm(StyledForm):
    basis = forms.CharField(label=_("列入依据"), max_length=200)
    reason = forms.CharField(label=_("理由"), max_length=300, required=False, help_text=REASON_HELP)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), max_length=300, required=False, help_text=REASON_HELP)


class RemoveForm(StyledForm):
    reason = forms.CharField(
        label=_("移出理由"), max_length=300, help_text=_("移出名录必须说明理由（TOT-1）")
    )


class ListImportForm(StyledForm):
    year = year_field()
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class ExtendForm(StyledForm):
    kind = forms.ChoiceField(label=_("事项"), choices=DeadlineKind.choices)
    year = year_field()
    zone = forms.ModelChoiceField(
        label=_("功能区"), queryset=Zone.objects.filter(is_active=True), required=False
    )
    enterprise = forms.CharField(
        label=_("排污单位统一社会信用代码"),
        max_length=24,
        required=False,
        help_text=_("为一家单位延期时填写；与功能区二选一"),
    )
    due_on = dates.form_field(dates.PLATFORM, _("延期至"), extra_help=_("延期日期不顺延至工作日"))
    reason = forms.CharField(label=_("理由"), max_length=300)


class RemindForm(StyledForm):
    message = forms.CharField(label=_("提醒内容"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


# --- list filters --------------------------------------------------------------------------------
class ListEntryFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("排放年度"))
    zone = django_filters.ModelChoiceFilter(label=_("功能区"), queryset=Zone.objects.all())
    category = django_filters.ChoiceFilter(
        label=_("管理类别"), field_name="enterprise__management_category", choices=ManagementCategory.choices
    )
    listed = django_filters.BooleanFilter(label=_("在名录中"))

    class Meta:
        model = ListEntry
        fields = ["year", "zone", "listed"]


class ListChangeFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("排放年度"), field_name="entry__year")
    zone = django_filters.ModelChoiceFilter(
        label=_("功能区"), field_name="entry__zone", queryset=Zone.objects.all()
    )
    action = django_filters.ChoiceFilter(
        label=_("变更"), choices=ListChange._meta.get_field("action").choices
    )
    after_deadline = django_filters.BooleanFilter(label=_("截止后变更"))

    class Meta:
        model = ListChange
        fields = ["action", "after_deadline"]


class OverdueFilterForm(StyledForm):
    year = year_field(required=False)
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.none(), required=False)
    state = forms.ChoiceField(
        label=_("申报情况"),
        choices=[("", _("逾期及临近截止")), ("all", _("全部")), *ReportState.choices],
        required=False,
    )

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        zone_field = self.fields["zone"]
        assert isinstance(zone_field, forms.ModelChoiceField)
        zone_field.queryset = zones if zones is not None else Zone.objects.filter(is_active=True)
