from django import forms
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm


class HistoryUploadForm(StyledForm):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
