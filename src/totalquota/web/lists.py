"""List pages: scoped, searchable, filterable, paginated and exportable to XLSX, all alike.

A list page declares its model, the permission action, the search fields, a django-filter
``FilterSet``, its columns, the relations it shows (``related``) and its buttons (``buttons``);
:class:`ScopedListView` does the rest. The same columns feed the HTML table and the XLSX export,
so what a user sees is what they download. :func:`model_columns` takes a column's header from the
model field's own name, so a column needs a header only where the list says something else::

    class UnitListView(ScopedListView):
        model = Enterprise
        action = "registry.view"
        title = gettext_lazy("排污单位")
        related = ("zone",)
        columns = model_columns(Enterprise, Column(gettext_lazy("单位名称"), "name", link=True), "uscc zone")
        buttons = [Button("registry.edit_enterprise", gettext_lazy("登记排污单位"), "registry:enterprise_create")]
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView

from totalquota.accounts.permissions import may, require, restrict
from totalquota.common.xlsx import Heading, export_filename, write_workbook, xlsx_response
from totalquota.lib.units import Unit, grams_to_decimal
from totalquota.registry.models import Park


@dataclass(frozen=True)
class Column:
    """One column: ``value`` is an attribute path (``"zone.name"``) or a function of the row.

    ``quantity_unit`` marks integer-gram values, shown and exported in that unit; ``link`` makes
    the cell a link to the row's ``get_absolute_url``.
    """

    header: Any
    value: str | Callable[[Any], Any]
    link: bool = False
    quantity_unit: Unit | None = None
    css: str = ""

    def raw(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        obj = row
        for part in self.value.split("."):
            if obj is None:
                return None
            display = getattr(obj, f"get_{part}_display", None)
            obj = display() if callable(display) else getattr(obj, part)
        return obj() if callable(obj) else obj

    def export_value(self, row: Any) -> Any:
        value = self.raw(row)
        if self.quantity_unit is not None and value is not None:
            return grams_to_decimal(value, self.quantity_unit)
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if value is None:
            return ""
        if isinstance(value, int | float) or hasattr(value, "isoformat"):
            return value
        return str(value)


def model_columns(model: type[Model], *specs: str | Column) -> list[Column]:
    """Columns of a list of ``model``: a :class:`Column` as given, a string as one or more
    space-separated attribute paths whose headers are the model fields' verbose names."""
    result: list[Column] = []
    for spec in specs:
        if isinstance(spec, Column):
            result.append(spec)
            continue
        for path in spec.split():
            target: Any = model
            *relations, name = path.split(".")
            for relation in relations:
                target = target._meta.get_field(relation).related_model
            result.append(Column(target._meta.get_field(name).verbose_name, path))
    return result


@dataclass
class PageAction:
    label: Any
    url: str
    icon: str = "bi-plus-lg"
    style: str = "primary"
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    """A button above a list (create, import), shown to people whose role may ``permission``."""

    permission: str
    label: Any
    url_name: str
    icon: str = "bi-plus-lg"
    style: str = "primary"


def style_filter_widget(widget: forms.Widget) -> None:
    """Bootstrap classes by widget kind; yes/no filters read 全部 / 是 / 否 rather than 未知."""
    if isinstance(widget, forms.NullBooleanSelect):
        widget.choices = [("unknown", _("全部")), ("true", _("是")), ("false", _("否"))]
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        widget.attrs.setdefault("class", "form-select form-select-sm")
    else:
        widget.attrs.setdefault("class", "form-control form-control-sm")


def apply_search(qs: QuerySet, text: str, fields: list[str]) -> QuerySet:
    """Every whitespace-separated term must match one of ``fields`` (case-insensitive)."""
    terms = text.split()
    for term in terms[:8]:
        qs = qs.filter(reduce(operator.or_, (Q(**{f"{f}__icontains": term}) for f in fields)))
    return qs


class ScopedListView(LoginRequiredMixin, ListView):
    """A list page scoped by :func:`accounts.permissions.restrict`.

    ``?q=`` searches, the filterset's fields filter, ``?page=`` pages and ``?export=xlsx``
    downloads every matching row (not just the page) with the same columns.
    """

    action: str = ""
    title: Any = ""
    search_fields: list[str] = []
    search_placeholder: Any = ""
    filterset_class: type[django_filters.FilterSet] | None = None
    columns: list[Column] = []
    export_name: Any = ""  # the download's name (it says what; the date is added); the title if blank
    template_name = "common/list.html"
    paginate_by = 25
    ordering: Any = None
    related: tuple[str, ...] = ()
    buttons: list[Button] = []

    def base_queryset(self) -> QuerySet:
        """The model's rows, with ``related`` joined; override for annotations or a fixed order."""
        assert self.model is not None, "set model or override base_queryset"
        qs = self.model._default_manager.all()
        return qs.select_related(*self.related) if self.related else qs

    def filtered_queryset(self) -> QuerySet:
        qs = restrict(self.request.user, self.base_queryset(), self.action)
        text = self.request.GET.get("q", "").strip()
        if text and self.search_fields:
            qs = apply_search(qs, text, self.search_fields)
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
            for f in self.filterset.form.fields.values():
                style_filter_widget(f.widget)
            if self.filterset.is_bound and self.filterset.is_valid():
                qs = self.filterset.qs
        if self.ordering:
            qs = qs.order_by(*([self.ordering] if isinstance(self.ordering, str) else self.ordering))
        return qs

    def get_queryset(self) -> QuerySet:
        return self.filtered_queryset()

    def paginate_queryset(self, queryset, page_size):
        """Any ``?page=`` gives a page: not a number, zero or negative is the first page, beyond the
        end (however large) the last one, rather than an error for a hand-edited or stale link."""
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        page = paginator.get_page(_page_number(self.request.GET.get(self.page_kwarg)))
        return (paginator, page, page.object_list, page.has_other_pages())

    def get(self, request, *args, **kwargs):
        require(request.user, self.action)
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "list-results":
            return ["common/_list_results.html"]
        return [self.template_name]

    def page_actions(self) -> list[PageAction]:
        """Buttons above the list (create, import): the ``buttons`` this person's role may use."""
        return [
            action
            for b in self.buttons
            for action in action_if(
                self.request.user, b.permission, b.label, b.url_name, icon=b.icon, style=b.style
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        context.update(
            {
                "title": self.title,
                "columns": self.columns,
                "rows": [(obj, [(c, c.raw(obj)) for c in self.columns]) for obj in context["object_list"]],
                "filterset": self.filterset,
                "search_text": self.request.GET.get("q", ""),
                "search_placeholder": self.search_placeholder,
                "has_search": bool(self.search_fields),
                "query_string": query.urlencode(),
                "page_actions": self.page_actions(),
                "list_url": self.request.path,
            }
        )
        return context

    def export_rows(self, qs: QuerySet):
        for obj in qs.iterator(chunk_size=2000):
            yield [c.export_value(obj) for c in self.columns]

    def export_conditions(self) -> list[tuple[str, str]]:
        """What the export covers: the search text and each filter set, as (label, value)."""
        conditions = []
        if self.request.GET.get("q", "").strip():
            conditions.append((_("检索"), self.request.GET["q"].strip()))
        if self.filterset is not None and self.filterset.is_bound and self.filterset.is_valid():
            form = self.filterset.form
            for name, value in form.cleaned_data.items():
                if value in (None, "", []):
                    continue
                field = form.fields[name]
                shown = dict(getattr(field, "choices", None) or ()).get(form.data.get(name), value)
                if isinstance(shown, bool):
                    shown = _("是") if shown else _("否")
                conditions.append((str(field.label or name), str(shown)))
        return conditions

    def export(self):
        qs = self.filtered_queryset()
        headers = [
            str(c.header) + (f"（{c.quantity_unit.value}）" if c.quantity_unit else "") for c in self.columns
        ]
        conditions = self.export_conditions()
        heading = export_heading(self.request.user, str(self.title), conditions)
        notes = [(_("导出时间"), heading_time()), (_("导出人"), str(self.request.user))]
        notes += [(_("检索条件"), "；".join(f"{k}：{v}" for k, v in conditions) or _("全部记录"))]
        file = write_workbook(
            [
                (str(self.title), headers, self.export_rows(qs)),
                (_("说明"), [_("项目"), _("内容")], notes),
            ],
            heading=heading,
        )
        return xlsx_response(file, export_filename(str(self.export_name or self.title), timezone.localdate()))


def heading_time() -> str:
    now = timezone.localtime()
    return f"{now.year}年{now.month}月{now.day}日 {now:%H:%M}"


def export_heading(user: Any, title: str, conditions: list[tuple[str, str]] | str = "") -> Heading:
    """The rows above an export: ``title``; what it covers (``conditions``: a period, or the
    filters as (label, value)) and when it was made; the issuer (the person's organisation, else
    the park's bureau) and who exported it."""
    if isinstance(conditions, str):
        covers = conditions or _("全部记录")
    else:
        covers = "；".join(f"{label}：{value}" for label, value in conditions) or _("全部记录")
    organisation = getattr(user, "organisation", "") or bureau_name()
    return Heading(
        title=title,
        period=_("范围：%(covers)s（导出时间：%(at)s）") % {"covers": covers, "at": heading_time()},
        issuer=_("出具单位：%(org)s；导出人：%(who)s") % {"org": organisation, "who": str(user)},
    )


def bureau_name() -> str:
    """The bureau that issues the park's documents: 苏州工业园区生态环境局."""
    park = Park.objects.order_by("pk").first()
    return f"{park.name if park else ''}{_('生态环境局')}"


def _page_number(text: str | None) -> int:
    """``?page=`` as a page number: digits as written (at least 1), ``last`` or a number too long to
    be a page as "past the end" (the paginator then gives the last page), anything else 1."""
    text = (text or "").strip()
    if text == "last" or (text.isascii() and text.isdigit() and len(text) > 18):
        return sys.maxsize
    if text.isascii() and text.isdigit():
        return max(int(text), 1)
    return 1


def action_if(user: Any, action: str, label: Any, url_name: str, **kwargs: Any) -> list[PageAction]:
    """``[PageAction]`` when ``user`` may ``action``, else ``[]`` (for ``page_actions``)."""
    return [PageAction(label, reverse(url_name), **kwargs)] if may(user, action) else []
