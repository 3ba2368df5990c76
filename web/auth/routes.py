"""Sign in, sign out and change one's password: the forms, the redirects and the session; the checks,
``last_login_at``, the session epoch and the audit rows (``auth.login``, ``auth.login_failed`` with the
reason, ``auth.logout``, ``auth.password_changed``) are ``parking.services.accounts``.

Signing in is throttled per account and per client address (``throttle``): a 429 shows the form again
with the time to wait. An operator who must change the password is taken to that page right after
signing in, and every console page sends them back to it until it is done (``users``). Signing out
and changing the password are open to every role, auditors included.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, logout_user

from parking.passwords import MIN_LENGTH
from parking.services import accounts

from ..context import db, now
from . import bp, throttle
from .forms import LoginForm, LogoutForm, PasswordChangeForm, policy_message
from .users import keep_session, start_session

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


@bp.errorhandler(429)
def too_many_sign_ins(error: RateLimitExceeded) -> ResponseReturnValue:
    return throttle.throttled(error)


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
        start_session(attempt.operator)
        if attempt.operator.must_change_password:
            flash(_("首次登录或密码被重置后，须先设置自己的新密码。"), "info")
            return redirect(url_for("auth.change_password", next=_safe_next(request.args.get("next"))))
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


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    forced = current_user.must_change_password
    if form.validate_on_submit():
        try:
            epoch = accounts.change_password(db(), current_user.id, form.current_password.data, form.new_password.data, now=now())
        except accounts.PasswordChangeError as error:
            getattr(form, error.field).errors.append(policy_message(error.rule, error.limit))
        else:
            keep_session(epoch)
            flash(_("密码已修改；此账号在其他设备上的登录已全部失效。"), "info")
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form, forced=forced, min_length=MIN_LENGTH), status
