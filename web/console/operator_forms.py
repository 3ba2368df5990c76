"""Forms of the operators page (Flask-WTF, so each carries a CSRF token), and an account error said in the
page's language. The rules themselves (user names, roles, sites, the password policy, the last
administrator) are checked by ``parking.services.operators``; these forms only bound and shape the input."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from parking.passwords import MAX_LENGTH
from parking.services.operators import DISPLAY_NAME_MAX_CHARS, AccountError

from ..auth.forms import policy_message

ROLE_LABELS = {"admin": _l("管理员"), "manager": _l("经理"), "attendant": _l("值班员"), "auditor": _l("审计员")}
PASSWORD_MODES = (("generate", _l("生成临时密码")), ("typed", _l("手动输入临时密码")))


class CodeListField(Field):
    """Every value sent under the field's name (checkboxes), as a list of strings; bounded by the form's size."""

    def __init__(self, label: object = None, **kwargs: object) -> None:
        super().__init__(label, default=list, **kwargs)  # type: ignore[arg-type]

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [value for value in valuelist if value]


class _TemporaryPassword:
    """A temporary password, generated (shown once) or typed twice. The page renders the choices itself."""

    password_mode = StringField(_l("临时密码"), default="generate")
    password = PasswordField(_l("临时密码"), validators=[Length(max=MAX_LENGTH, message=_l("密码最多 %(max)d 个字符。", max=MAX_LENGTH))])
    confirm = PasswordField(_l("再次输入临时密码"))

    def validate_password_mode(self, field: StringField) -> None:
        if field.data not in dict(PASSWORD_MODES):
            raise ValidationError(_l("请选择临时密码的设置方式。"))

    def validate_password(self, field: PasswordField) -> None:
        if self.password_mode.data == "typed" and not field.data:  # type: ignore[attr-defined]
            raise ValidationError(_l("请输入临时密码，或选择生成临时密码。"))

    def validate_confirm(self, field: PasswordField) -> None:
        if self.password_mode.data == "typed" and field.data != self.password.data:  # type: ignore[attr-defined]
            raise ValidationError(_l("两次输入的密码不一致。"))

    def typed_password(self) -> str | None:
        return self.password.data if self.password_mode.data == "typed" else None  # type: ignore[attr-defined]


class _Account(FlaskForm):
    display_name = StringField(_l("显示名称"), validators=[Length(max=DISPLAY_NAME_MAX_CHARS, message=_l("显示名称最多 %(max)d 个字。", max=DISPLAY_NAME_MAX_CHARS))])
    role = StringField(_l("角色"))  # the page renders the choices itself
    sites = CodeListField(_l("所属站点"))

    def validate_role(self, field: StringField) -> None:
        if field.data not in ROLE_LABELS:
            raise ValidationError(_l("请选择角色。"))


class OperatorCreateForm(_TemporaryPassword, _Account):
    username = StringField(_l("用户名"), validators=[InputRequired(message=_l("请输入用户名。")), Length(max=64, message=_l("用户名最多 64 个字符。"))])


class OperatorEditForm(_Account):
    pass


class ResetPasswordForm(_TemporaryPassword, FlaskForm):
    pass


class OperatorActionForm(FlaskForm):
    """No fields: only the CSRF token (disable, enable)."""


def account_error_message(error: AccountError) -> str:
    code = error.code
    if code == "username_invalid":
        return _("用户名须为 2 到 64 个字母、数字或 . _ - @，不能有空格。")
    if code == "username_taken":
        return _("用户名“%(name)s”已被使用。", name=error.value)
    if code == "unknown_role":
        return _("请选择角色。")
    if code == "unknown_site":
        return _("没有代码为“%(code)s”的站点。", code=error.value)
    if code == "display_name_invalid":
        return _("显示名称最多 %(max)d 个字。", max=DISPLAY_NAME_MAX_CHARS)
    if code == "last_admin":
        return _("“%(name)s”是最后一个启用的管理员，不能停用或改为其他角色。", name=error.value)
    if code == "own_account":
        return _("不能停用自己的账号。")
    if code == "own_password":
        return _("自己的密码请在“修改密码”页面修改，不能重置。")
    return policy_message(code, error.limit)
