"""The sign-in, sign-out and password-change forms (Flask-WTF, so each carries a CSRF token), and the
password policy's rules said in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from parking.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("登录"))


class LogoutForm(FlaskForm):
    """No fields: only the CSRF token, so that signing out cannot be triggered from another site."""

    submit = SubmitField(_l("退出"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[
        InputRequired(message=_l("请输入当前密码。")), Length(max=MAX_LENGTH, message=_l("当前密码不正确。"))])
    new_password = PasswordField(_l("新密码"), validators=[InputRequired(message=_l("请输入新密码。"))])
    confirm = PasswordField(_l("再次输入新密码"), validators=[
        InputRequired(message=_l("请再次输入新密码。")), EqualTo("new_password", message=_l("两次输入的新密码不一致。"))])
    submit = SubmitField(_l("修改密码"))


def policy_message(rule: str, limit: int = 0) -> str:
    """A password refused by ``rule`` (``parking.passwords`` or ``accounts.change_password``), in the page's language."""
    if rule == "too_short":
        return _("密码至少需要 %(min)d 个字符。", min=limit or MIN_LENGTH)
    if rule == "too_long":
        return _("密码最多 %(max)d 个字符。", max=limit or MAX_LENGTH)
    if rule == "one_class":
        return _("密码需混合至少两类字符：小写字母、大写字母、数字、其他字符。")
    if rule == "control":
        return _("密码不能包含制表符、换行等控制字符。")
    if rule == "username":
        return _("密码不能与用户名相同。")
    if rule == "unchanged":
        return _("新密码不能与当前密码相同。")
    if rule == "wrong_password":
        return _("当前密码不正确。")
    return _("密码不符合要求。")
