"""Reading an application's lines as they are typed: one rule for the page form and the API.

Each figure is a decimal text in the pollutant's unit (``lib.units.parse_quantity``). A figure not
given (a blank cell on the page, a field left out of the API body) is 0 for the sewer quantities;
the project's and the whole plant's quantities to the environment and the plant's new discharge
must be given. Consistency between the figures is checked by the service
(``decisions.check_line_figures``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from totalquota.lib.units import QuantityError, parse_quantity
from totalquota.registry.models import Pollutant
from totalquota.reserve.decisions import LINE_FIELDS

# The figures that must be given, with the refusal when one is not.
REQUIRED = {
    "project_env_grams": _("请填写本项目许可量（外排环境量）"),
    "plant_env_grams": _("请填写全厂许可量（外排环境量）"),
    "new_discharge_grams": _("请填写全厂新增外排环境量"),
}


def read_line(pollutant: Pollutant, texts: Mapping[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """The line as the service takes it (``pollutant`` and grams by ``LINE_FIELDS`` name) from the
    typed ``texts`` (``None``: not given), and the refusals by field name (empty when fine)."""
    values: dict[str, Any] = {"pollutant": pollutant}
    errors: dict[str, str] = {}
    for name in LINE_FIELDS:
        text = texts.get(name)
        if text is None:
            if name in REQUIRED:
                errors[name] = str(REQUIRED[name])
            else:
                values[name] = 0
            continue
        try:
            values[name] = parse_quantity(text, pollutant.unit)
        except QuantityError as exc:
            errors[name] = exc.message
    return values, errors
