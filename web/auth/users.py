"""The signed-in operator as Flask-Login sees it, and what happens when nobody is signed in.

``ConsoleUser`` is a small value copied from the ``Operator`` row, so templates and views never touch a
detached SQLAlchemy object. An operator who is deactivated is signed out on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin

from parking.models import Operator

from ..api.errors import abort_json, is_api_request
from ..context import db
from ..extensions import login_manager


@dataclass(frozen=True)
class ConsoleUser(UserMixin):
    id: int
    username: str
    display_name: str
    role: str
    language: str
    active: bool = True

    @classmethod
    def of(cls, operator: Operator) -> "ConsoleUser":
        return cls(
            id=operator.id,
            username=operator.username,
            display_name=operator.display_name,
            role=operator.role.value,
            language=operator.language,
            active=operator.active,
        )

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return str(self.id)


def _load_user(user_id: str) -> ConsoleUser | None:
    if not user_id.isdigit():
        return None
    operator = db().get(Operator, int(user_id))
    if operator is None or not operator.active:
        return None
    return ConsoleUser.of(operator)


def _unauthorized() -> ResponseReturnValue:
    if is_api_request():
        abort_json(401, "sign in first: this resource needs an operator session")
    flash(str(login_manager.login_message), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.login_message = _l("请先登录。")
    login_manager.session_protection = "basic"
