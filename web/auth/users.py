"""The signed-in operator as Flask-Login sees it, what happens when nobody is signed in, and the
password change every console page waits for.

``ConsoleUser`` is a small value copied from the ``Operator`` row on every request, so templates and
views never touch a detached SQLAlchemy object and a change of role or sites applies at once.

A session is honoured only while the operator is active and the session's epoch (kept in the signed
session cookie at sign-in, ``start_session``) is still the operator's ``session_epoch``: signing out,
changing the password, a reset and disabling raise it (``parking.services.accounts``), so every session
of the account ends, and a copy of an old cookie is worth nothing.

An operator who must change the password (a new account, or after a reset) is sent to the password page
from every console page, and the API answers 403 saying so, until it is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_user

from parking.models import Operator
from parking.services import accounts

from ..api.errors import abort_json, is_api_request
from ..context import db
from ..extensions import login_manager

EPOCH_KEY = "operator_epoch"
# Endpoints an operator who must change the password may still open: the change itself, signing out,
# the public pages and static files.
OPEN_WHILE_CHANGE_PENDING = frozenset({"auth.change_password", "auth.logout", "auth.login", "static"})
PASSWORD_CHANGE_REQUIRED = ("password change required: this account must choose a new password before using the API; "
                            "sign in to the console, which asks for it")


@dataclass(frozen=True)
class ConsoleUser(UserMixin):
    id: int
    username: str
    display_name: str
    role: str
    language: str
    active: bool = True
    must_change_password: bool = False
    site_ids: frozenset[int] = field(default_factory=frozenset)  # () = bound to no site: every lot

    @classmethod
    def of(cls, operator: Operator) -> "ConsoleUser":
        return cls(
            id=operator.id,
            username=operator.username,
            display_name=operator.display_name,
            role=operator.role.value,
            language=operator.language,
            active=operator.active,
            must_change_password=operator.must_change_password,
            site_ids=frozenset(binding.site_id for binding in operator.sites),
        )

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return str(self.id)


def start_session(operator: Operator) -> None:
    """Sign ``operator`` in on this browser: a fresh session (only the language survives) bound to the
    operator's current session epoch."""
    language = session.get("lang")
    session.clear()  # nothing set before sign-in survives but the language
    if language:
        session["lang"] = language
    login_user(ConsoleUser.of(operator))
    session[EPOCH_KEY] = operator.session_epoch


def keep_session(epoch: int) -> None:
    """After the operator's own password change: this session carries on under the new epoch."""
    session[EPOCH_KEY] = epoch


def _load_user(user_id: str) -> ConsoleUser | None:
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    operator = db().get(Operator, int(user_id))
    if not accounts.session_valid(operator, session.get(EPOCH_KEY)):
        return None
    assert operator is not None
    return ConsoleUser.of(operator)


def _unauthorized() -> ResponseReturnValue:
    if is_api_request():
        abort_json(401, "sign in first: this resource needs an operator session")
    flash(str(login_manager.login_message), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _require_password_change() -> ResponseReturnValue | None:
    endpoint = request.endpoint or ""
    if endpoint in OPEN_WHILE_CHANGE_PENDING or endpoint.startswith("public.") or endpoint == "api.availability":
        return None
    if not getattr(current_user, "must_change_password", False):
        return None
    if is_api_request():
        abort_json(403, PASSWORD_CHANGE_REQUIRED)
    next_path = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.change_password", next=next_path))


def init_app(app: Flask) -> None:
    from . import throttle

    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.login_message = _l("请先登录。")
    login_manager.session_protection = "basic"
    app.before_request(_require_password_change)
    throttle.init_app(app)
