"""API requests made with an integration token (``Authorization: Bearer pk_…``) instead of a session.

A request that presents a bearer token is authenticated by the token alone; a session cookie sent
with it is not looked at. ``roles_required(..., scope=S)`` calls ``authorize(S)``, which answers

- 401 with ``WWW-Authenticate: Bearer`` when the token is malformed, unknown, revoked or expired (the
  message says which), or the header carries no token;
- 403 naming the scope when the token lacks it (``admin`` implies every scope), or when the route takes
  no token at all: a route without a scope, and every console page, is for signed-in operators only.

Once a token is accepted, ``current_user`` is a ``TokenUser`` for the rest of the request (``id`` is
None: no operator acted), and every audit row recorded names the token. ``actor()`` gives a view the
(operator id, token id) of whoever makes the request.

A bearer request needs no CSRF token: a browser never attaches an ``Authorization`` header on its own,
so another site cannot forge one. Every other request is checked as Flask-WTF would (``init_app``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask, current_app, g, request
from flask_login import UserMixin, current_user

from parking.services import audit
from parking.services.tokens import ADMIN_SCOPE, TokenRejected, check_token, grants

from ..api.docs import BEARER_SCHEME, SESSION_SCHEME
from ..api.errors import abort_json, is_api_request
from ..context import db, now
from ..extensions import csrf, login_manager

TOKEN_ROLE = "token"  # the role a TokenUser shows: none of an operator's roles
REALM = "parking"


@dataclass(frozen=True)
class TokenUser(UserMixin):
    """Whoever makes a request with an integration token: the token, never an operator."""

    token_id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    id: None = None
    role: str = TOKEN_ROLE
    language: str = "en"
    # As a ConsoleUser has them: a token is bound to no site (it sees every lot) and has no password.
    active: bool = True
    must_change_password: bool = False
    site_ids: frozenset[int] = frozenset()

    @property
    def username(self) -> str:
        return self.prefix

    @property
    def display_name(self) -> str:
        return self.name

    def get_id(self) -> str:
        return f"token:{self.token_id}"  # never a user id: Flask-Login cannot sign a token in as an operator


def presented_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header ("" if it carries none), or None without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


def _challenge(error: str, description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="{REALM}", error="{error}", error_description="{description}"'}


def _unauthorized(message: str, error: str, description: str) -> NoReturn:
    abort_json(401, message, headers=_challenge(error, description))


def authorize(scope: str | None) -> TokenUser:
    """Authenticate the request's bearer token for a route needing ``scope`` (None: the route takes no
    token), or answer 401/403 (see the module docstring). On success the token is the request's user."""
    if scope is None or not is_api_request():
        abort_json(403, f"{request.method} {request.path} does not accept API tokens: it is for operators signed in to the console")
    secret = presented_token()
    if not secret:
        _unauthorized("the Authorization header says Bearer but carries no token: send 'Authorization: Bearer pk_…'",
                      "invalid_request", "no token")
    try:
        token = check_token(db(), secret, now=now())
    except TokenRejected as rejected:
        _unauthorized(rejected.message, "invalid_token", f"token {rejected.reason}")
    if not grants(token.scopes, scope):
        held = ", ".join(token.scopes) or "none"
        abort_json(403, f"API token {token.prefix} lacks the scope {scope!r} this resource needs (it has: {held})", field=None,
                   headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'})
    user = TokenUser(token_id=token.id, name=token.name, prefix=token.prefix, scopes=tuple(token.scopes))
    login_manager._update_request_context_with_user(user)  # current_user is the token for the rest of the request
    g.acting_token = audit.set_acting_token(token.id, token.name, token.prefix)
    return user


def actor() -> tuple[int | None, int | None]:
    """(operator id, token id) of whoever makes the request: an operator's, or a token's, or (None, None)."""
    user: Any = current_user
    if isinstance(user, TokenUser):
        return None, user.token_id
    if user is not None and user.is_authenticated:
        return user.id, None
    return None, None


def security(scope: str | None) -> list[dict[str, list[str]]]:
    """The OpenAPI security requirement of a route: a bearer token with ``scope`` (or ``admin``), or an
    operator's session; the session alone for a route that takes no token."""
    if scope is None:
        return [{SESSION_SCHEME: []}]
    scopes = [scope] if scope == ADMIN_SCOPE else [scope, ADMIN_SCOPE]
    return [{BEARER_SCHEME: [s]} for s in scopes] + [{SESSION_SCHEME: []}]


def _check_csrf() -> None:
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return
    if is_api_request() and presented_token() is not None:
        return  # authenticated by the token alone (see the module docstring)
    csrf.protect(apply_exemptions=True)


def _forget_acting_token(_exc: BaseException | None) -> None:
    token = g.pop("acting_token", None)
    if token is not None:
        audit.reset_acting_token(token)


def init_app(app: Flask) -> None:
    """Call right after ``csrf.init_app``: this takes over its check so bearer API requests skip it."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_check_csrf)
    app.teardown_request(_forget_acting_token)
