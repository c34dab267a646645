"""The subscription form: the URL and the patterns are checked by the services (one place)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from totalquota.common.forms import StyledForm


class SubscriptionForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：执法系统"))
    url = forms.CharField(label=_("接收地址"), max_length=500, help_text=_("http:// 或 https:// 开头"))
    topic_patterns = forms.CharField(
        label=_("订阅主题"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "以空格或换行分隔：主题本身（reserve.warning.raised）、“前缀.*”（reduction.*）或 *（全部对外主题）"
        ),
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)
