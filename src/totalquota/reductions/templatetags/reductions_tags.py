from fractions import Fraction

from django import template
from django.utils.translation import gettext

from totalquota.reductions.accounting import show

register = template.Library()


@register.filter
def wan(yuan):
    """``{{ investment_yuan|wan }}``: whole yuan written in 万元, exactly ("85.5 万元")."""
    if yuan is None or yuan == "":
        return ""
    return gettext("{wan} 万元").format(wan=show(Fraction(int(yuan), 10_000), 4))
