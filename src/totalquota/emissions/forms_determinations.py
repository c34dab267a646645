"""Forms of the determinations pages (TOT-3): the run to open, an override and its rejection."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from totalquota.lib.units import QUANTITY_HELP, QuantityError, Unit, normalize_form_data, parse_quantity
from totalquota.registry.models import Zone


class RunForm(forms.Form):
    zone = forms.ModelChoiceField(label=_("功能区"), queryset=Zone.objects.none())
    year = forms.IntegerField(label=_("核定年度"), min_value=2022, max_value=2100)

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["zone"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = zones if zones is not None else Zone.objects.all()


class OverrideForm(forms.Form):
    """Another allowed figure for one pollutant, in the pollutant's unit, with the reason."""

    quantity = forms.CharField(label=_("调整后的核定排放量"), max_length=40, help_text=QUANTITY_HELP)
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, data=None, *, unit: Unit = Unit.TONNES_PER_YEAR, **kwargs):
        super().__init__(normalize_form_data(data, ["quantity"]), **kwargs)
        self.unit = unit

    def clean_quantity(self) -> int:
        try:
            return parse_quantity(self.cleaned_data["quantity"], self.unit, field="quantity")
        except QuantityError as exc:
            raise forms.ValidationError(exc.message) from None


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回理由"), max_length=1000)
