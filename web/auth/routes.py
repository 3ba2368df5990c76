"""Sign in (argon2 verify, rehash when the parameters changed, ``last_login_at``) and sign out.

Every attempt leaves an audit row: ``auth.login``, ``auth.login_failed`` (with the reason, never the
password) and ``auth.logout``. An unknown user name costs the same hashing time as a wrong password.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from parking.models import Operator, utcnow
from parking.passwords import WeakPasswordError, hash_password, needs_rehash, verify_password

from .. import audit
from ..context import db
from . import bp
from .forms import LoginForm, LogoutForm
from .roles import login_required
from .users import ConsoleUser


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("decoy password for unknown user names")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (no open redirect)."""
    if target:
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
        username = form.username.data.strip()
        operator = db().scalar(select(Operator).where(Operator.username == username))
        if operator is None:
            verify_password(_decoy_hash(), form.password.data)
            reason = "unknown_user"
        elif not verify_password(operator.password_hash, form.password.data):
            reason = "wrong_password"
        elif not operator.active:
            reason = "inactive"
        else:
            reason = ""
        if reason:
            audit.record(db(), "auth.login_failed", operator_id=operator.id if operator else None, target=username, reason=reason)
            db().commit()
            flash(_("用户名或密码错误。"), "error")
            return render_template("auth/login.html", form=form), 401
        assert operator is not None
        if needs_rehash(operator.password_hash):
            try:
                operator.password_hash = hash_password(form.password.data)
            except WeakPasswordError:
                pass  # an old short password still works; it is replaced when the operator changes it
        operator.last_login_at = utcnow()
        audit.record(db(), "auth.login", operator_id=operator.id, target=username)
        db().commit()
        language = session.get("lang")
        session.clear()  # a fresh session at sign-in: nothing set before it survives but the language
        if language:
            session["lang"] = language
        login_user(ConsoleUser.of(operator))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    form = LogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("console.dashboard"))
    audit.record(db(), "auth.logout", operator_id=current_user.id, target=current_user.username)
    db().commit()
    logout_user()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))
