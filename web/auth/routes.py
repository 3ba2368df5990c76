"""Sign in and sign out: the form, the redirect after it and the session; the checks, ``last_login_at``
and the audit rows (``auth.login``, ``auth.login_failed`` with the reason, ``auth.logout``) are
``parking.services.accounts``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from parking.services import accounts

from ..context import db, now
from . import bp
from .forms import LoginForm, LogoutForm
from .roles import login_required
from .users import ConsoleUser

NEXT_MAX_CHARS = 2048


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (no open redirect).

    Browsers read a backslash as a slash (``/\\evil.example`` is ``//evil.example``) and drop tabs and
    newlines from URLs, so a target holding any of them, or any other control character, is refused."""
    if target and len(target) <= NEXT_MAX_CHARS and "\\" not in target and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = accounts.sign_in(db(), form.username.data, form.password.data, now=now())
        if not attempt.ok:
            flash(_("用户名或密码错误。"), "error")
            return render_template("auth/login.html", form=form), 401
        assert attempt.operator is not None
        language = session.get("lang")
        session.clear()  # a fresh session at sign-in: nothing set before it survives but the language
        if language:
            session["lang"] = language
        login_user(ConsoleUser.of(attempt.operator))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    form = LogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("console.dashboard"))
    accounts.sign_out(db(), current_user.id, current_user.username, now=now())
    logout_user()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))
