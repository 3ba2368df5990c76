"""The sign-in form (Flask-WTF, so it carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("登录"))


class LogoutForm(FlaskForm):
    """No fields: only the CSRF token, so that signing out cannot be triggered from another site."""

    submit = SubmitField(_l("退出"))
