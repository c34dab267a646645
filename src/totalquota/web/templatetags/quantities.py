from django import template

from totalquota.lib.units import Unit, format_quantity

register = template.Library()


@register.filter
def grams(value, unit="t/a"):
    """``{{ amount_grams|grams:"t/a" }}``: an integer gram amount written in the unit, exactly."""
    if value is None or value == "":
        return ""
    return format_quantity(int(value), Unit(str(unit)))


@register.filter
def grams_for(value, pollutant):
    """``{{ amount_grams|grams_for:pollutant }}``: written in the pollutant's display unit."""
    if value is None or value == "":
        return ""
    return format_quantity(int(value), pollutant.unit)
