from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.models import User
from totalquota.accounts.roles import TOKEN_ROLES, Role
from totalquota.common.forms import StyledForm, StyledFormMixin
from totalquota.registry.models import Enterprise, Zone


class LoginForm(StyledFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续失败 5 次后账号将被锁定 30 分钟。"),
        "inactive": _("该账号已停用，请联系生态环境局管理员。"),
    }


class UserForm(StyledForm):
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _")},
    )
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    organisation = forms.CharField(label=_("单位/部门"), max_length=100, required=False)
    phone = forms.CharField(label=_("电话"), max_length=32, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    zone = forms.ModelChoiceField(
        label=_("所属功能区"), queryset=Zone.objects.all(), required=False, help_text=_("功能区人员必填")
    )
    enterprise = forms.ModelChoiceField(
        label=_("所属排污单位"),
        queryset=Enterprise.objects.all(),
        required=False,
        help_text=_("企业用户必填"),
    )
    assigned_zones = forms.ModelMultipleChoiceField(
        label=_("服务功能区"), queryset=Zone.objects.all(), required=False, help_text=_("第三方机构必填")
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput,
        required=False,
        help_text=password_validators_help_text_html(),
    )

    def __init__(self, *args, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing is not None:
            self.fields["username"].disabled = True
            del self.fields["password"]
        else:
            self.fields["password"].required = True


class PasswordResetByAdminForm(StyledForm):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)


class TokenForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：项目审批系统"))
    client = forms.ModelChoiceField(
        label=_("客户端账号"), queryset=User.objects.filter(role=Role.SYSTEM, is_active=True)
    )
    role = forms.ChoiceField(label=_("角色"), choices=[(r.value, r.label) for r in TOKEN_ROLES])
    zone = forms.ModelChoiceField(label=_("限定功能区"), queryset=Zone.objects.all(), required=False)
    enterprise = forms.ModelChoiceField(
        label=_("限定排污单位"), queryset=Enterprise.objects.all(), required=False
    )
    expires_at = forms.DateTimeField(
        label=_("过期时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class DelegationForm(StyledForm):
    """A reviewer's deputy for an absence (代理人)."""

    deputy = forms.ModelChoiceField(label=_("代理人"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("代理开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("代理结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("事由"), max_length=200)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        deputies = User.objects.filter(role=user.role, is_active=True).exclude(pk=user.pk)
        self.fields["deputy"].queryset = deputies  # type: ignore[attr-defined]


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    """Changing one's own password; the new one must differ from the old (a one-time password
    cannot be kept)."""

    def clean(self):
        cleaned = super().clean() or {}
        new = cleaned.get("new_password1")
        if new and new == cleaned.get("old_password"):
            self.add_error("new_password1", _("新密码不能与原密码相同。"))
        return cleaned


class UnitSelectionForm(forms.Form):
    """The units ticked on the list of units without an account, or all the list's filter finds."""

    enterprises = forms.ModelMultipleChoiceField(
        label=_("排污单位"), queryset=Enterprise.objects.select_related("zone"), required=False
    )
    all_filtered = forms.BooleanField(label=_("全部符合条件的单位"), required=False)
