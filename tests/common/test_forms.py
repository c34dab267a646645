import pytest
from django import forms

from totalquota.common.forms import StyledForm
from totalquota.registry.models import Zone

pytestmark = pytest.mark.django_db


class ZoneForm(StyledForm):
    zone = forms.ModelChoiceField(queryset=Zone.objects.none())
    note = forms.CharField()

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones


def test_a_form_validates_against_the_choices_set_after_its_init(world):
    form = ZoneForm({"zone": world.zone_a.pk, "note": "x"}, zones=Zone.objects.filter(pk=world.zone_a.pk))
    assert form.is_valid(), form.errors
    outside = ZoneForm({"zone": world.zone_b.pk, "note": "x"}, zones=Zone.objects.filter(pk=world.zone_a.pk))
    assert not outside.is_valid() and "zone" in outside.errors


def test_fields_with_errors_are_marked_invalid_and_styled(world):
    form = ZoneForm({"zone": world.zone_a.pk, "note": ""}, zones=Zone.objects.all())
    assert not form.is_valid()
    assert "is-invalid" in form.fields["note"].widget.attrs["class"]
    assert "is-invalid" not in form.fields["zone"].widget.attrs["class"]
    assert "form-select" in form.fields["zone"].widget.attrs["class"]
