"""Forms of the self-report pages (TOT-2): starting a report, its lines (one row per pollutant),
attachments, and the execution-report upload with its column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm
from totalquota.emissions.execution import COLUMNS
from totalquota.emissions.models import AttachmentKind, Method
from totalquota.emissions.services.reports import WATER_MEDIA, LineInput
from totalquota.lib.units import (
    QUANTITY_HELP,
    QuantityError,
    format_quantity,
    normalize_number_text,
    parse_quantity,
)
from totalquota.registry.models import Pollutant

# The quantity cells of a line row and the service fields they fill.
QUANTITIES = {"permitted": "permitted_grams", "actual": "actual_grams", "sewer": "sewer_grams"}
# The service's field names back to the row's cells, for refusals placed on their cell.
CELL_OF = {
    "pollutant": "pollutant",
    "permitted_grams": "permitted",
    "actual_grams": "actual",
    "sewer_grams": "sewer",
    "allowed_grams": "allowed",
    "method": "method",
    "data_source": "data_source",
    "difference_note": "difference_note",
}


class ReportCreateForm(StyledForm):
    year = forms.TypedChoiceField(label=_("排放年度"), coerce=int)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]


class LineForm(forms.Form):
    """One pollutant of the version being edited; quantities as typed, in the pollutant's unit."""

    pollutant = forms.CharField(widget=forms.HiddenInput)
    permitted = forms.CharField(label=_("许可排放量"), required=False, max_length=40)
    actual = forms.CharField(label=_("实际排放量（外排环境量）"), required=False, max_length=40)
    sewer = forms.CharField(label=_("实际排放量（接管量）"), required=False, max_length=40)
    allowed = forms.CharField(label=_("核定排放量"), required=False, max_length=40)
    method = forms.ChoiceField(label=_("核算方法"), required=False, choices=[("", "—"), *Method.choices])
    data_source = forms.CharField(label=_("数据来源"), required=False, max_length=300)
    difference_note = forms.CharField(label=_("差异说明"), required=False, max_length=500)

    def __init__(self, *args: Any, pollutants: dict[str, Pollutant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pollutants = pollutants
        for name in (*QUANTITIES, "allowed"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "title": str(QUANTITY_HELP)})
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)

    @property
    def pollutant_obj(self) -> Pollutant | None:
        code = (
            self.data.get(self.add_prefix("pollutant")) if self.is_bound else self.initial.get("pollutant")
        ) or ""
        return self.pollutants.get(str(code))

    @property
    def is_water(self) -> bool:
        p = self.pollutant_obj
        return p is not None and p.medium in WATER_MEDIA

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        pollutant = self.pollutants.get(data.get("pollutant") or "")
        if pollutant is None:
            raise forms.ValidationError(gettext("未知的污染物"))
        data["pollutant_obj"] = pollutant
        for name in (*QUANTITIES, "allowed"):
            text = normalize_number_text(data.get(name) or "")
            data[name] = text
            if not text:
                data[f"{name}_grams"] = None
                continue
            try:
                data[f"{name}_grams"] = parse_quantity(text, pollutant.unit)
            except QuantityError as exc:
                self.add_error(name, exc.message)
        return data

    def line(self) -> LineInput:
        d = self.cleaned_data
        return LineInput(
            pollutant=d["pollutant_obj"],
            actual_grams=d.get("actual_grams"),
            permitted_grams=d.get("permitted_grams"),
            sewer_grams=d.get("sewer_grams"),
            allowed_grams=d.get("allowed_grams"),
            method=d.get("method") or "",
            data_source=d.get("data_source") or "",
            difference_note=d.get("difference_note") or "",
        )


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, pollutants: dict[str, Pollutant], **kwargs: Any) -> None:
        self.pollutants = pollutants
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "pollutants": self.pollutants}

    @property
    def empty_form(self) -> Any:  # not used: a row is added by the server, with its pollutant
        return self.form(
            auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), pollutants=self.pollutants
        )


LineFormSet: Any = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, can_delete=True, max_num=50
)


def line_initial(line: Any) -> dict[str, Any]:
    """A stored line as its row starts."""
    unit = line.pollutant.unit

    def text(grams: int | None) -> str:
        return "" if grams is None else format_quantity(grams, unit)

    return {
        "pollutant": line.pollutant.code,
        "permitted": text(line.permitted_grams),
        "actual": text(line.actual_grams),
        "sewer": text(line.sewer_grams),
        "allowed": text(line.allowed_grams),
        "method": line.method,
        "data_source": line.data_source,
        "difference_note": line.difference_note,
    }


class ChangeNoteForm(StyledForm):
    change_note = forms.CharField(
        label=_("修改说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("更正后重新提交时必填：说明本版本改了什么、为什么（审核人员看到与上一版本的差异）"),
    )


class AttachmentForm(StyledForm):
    kind = forms.ChoiceField(label=_("附件类型"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("文件"))
    note = forms.CharField(label=_("说明"), required=False, max_length=200)


class ExecutionUploadForm(StyledForm):
    file = forms.FileField(
        label=_("执行报告数据文件"),
        help_text=_("平台模板，或其他系统导出的 .xlsx / .csv 文件（下一步选择各列对应的字段）"),
    )


class MappingForm(StyledForm):
    """Which field each header cell of the uploaded file is (or none)."""

    def __init__(
        self, *args: Any, headers: list[str], initial_mapping: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("（不导入）")), *[(c.key, c.label) for c in COLUMNS]]
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or gettext("（第 {n} 列，无表头）").format(n=index + 1),
                choices=choices,
                required=False,
                initial=initial_mapping.get(index, ""),
            )
            self.fields[f"col_{index}"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["change_note"] = forms.CharField(
            label=_("修改说明"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        )

    def mapping(self) -> dict[int, str]:
        return {
            index: self.cleaned_data[f"col_{index}"]
            for index in range(len(self.headers))
            if self.cleaned_data.get(f"col_{index}")
        }
