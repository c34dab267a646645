"""Every date field of the platform has a plausible range, with its reason, in lib.dates."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import models

from totalquota.lib.dates import EARLIEST, FIELD_RANGES, LATEST, PROJECT_COMPLETION, PROJECT_START
from totalquota.lib.errors import ValidationFailed


def test_every_date_field_of_the_platform_has_a_range_with_a_reason():
    fields = {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in apps.get_models()
        if model.__module__.startswith("totalquota.")
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    }
    assert fields and fields <= set(FIELD_RANGES), sorted(fields - set(FIELD_RANGES))
    for day_range in FIELD_RANGES.values():
        assert EARLIEST <= day_range.earliest < day_range.latest <= LATEST and day_range.reason


def test_reductions_are_completed_from_2021_but_may_have_started_earlier():
    assert PROJECT_COMPLETION.earliest == dt.date(2021, 1, 1) and PROJECT_COMPLETION.clause == "SCOPE-1"
    assert dt.date(2019, 5, 1) in PROJECT_START and dt.date(2019, 5, 1) not in PROJECT_COMPLETION


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1989, 12, 31)])
def test_it_refuses_dates_outside_the_range_naming_the_field(day):
    with pytest.raises(ValidationFailed) as refused:
        PROJECT_START.check(day, label="开工时间", field="start_date")
    assert refused.value.errors == [{"field": "start_date", "message": refused.value.message}]
    assert "1990-01-01 至 2100-12-31" in refused.value.message


def test_the_boundaries_themselves_are_allowed():
    assert PROJECT_COMPLETION.check(dt.date(2021, 1, 1), label="x", field="x") == dt.date(2021, 1, 1)
    assert PROJECT_COMPLETION.check(LATEST, label="x", field="x") == LATEST
