"""``roles_required``: sign-in plus, optionally, a role check on a console page or API route, and the
scope an integration token needs to use an API route.

With no roles, any signed-in operator may pass. Someone not signed in gets the sign-in page (console) or
a 401 JSON error (API); a signed-in operator without one of the roles gets 403. An auditor reads
everything and changes nothing: every route lets an auditor GET (or HEAD) it, and no route lets an
auditor do anything else.

``scope=`` (one of ``parking.services.tokens.SCOPES``) lets an API route be used with an integration
token (``Authorization: Bearer``) holding that scope or ``admin``; the roles then do not apply, the token
is the caller (``web.auth.tokens``). A route without a scope, and every console page, refuses tokens.
The route's OpenAPI operation lists both ways in (``web.auth.tokens.security``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user
from flask_smorest import Blueprint

from parking.models import Role
from parking.services.tokens import SCOPES

from ..api.errors import abort_json, is_api_request
from ..extensions import login_manager
from . import tokens

F = TypeVar("F", bound=Callable[..., Any])

ANY_ROLE = frozenset(r.value for r in Role)
READ_METHODS = frozenset({"GET", "HEAD"})


def roles_required(*roles: str, scope: str | None = None) -> Callable[[F], F]:
    unknown = set(roles) - ANY_ROLE
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {sorted(ANY_ROLE)}")
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; scopes are {', '.join(SCOPES)}")
    allowed = frozenset(roles) or ANY_ROLE

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if tokens.presented_token() is not None:
                tokens.authorize(scope)  # 401/403 unless the token holds the scope; never the session's roles
                return view(*args, **kwargs)
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role == Role.AUDITOR.value and request.method in READ_METHODS:
                return view(*args, **kwargs)
            if current_user.role not in allowed or current_user.role == Role.AUDITOR.value:
                if is_api_request():
                    abort_json(403, f"role {current_user.role!r} may not use this resource; allowed: {', '.join(sorted(allowed))}")
                abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = allowed  # type: ignore[attr-defined]
        guarded.required_scope = scope  # type: ignore[attr-defined]
        return Blueprint.doc(security=tokens.security(scope))(guarded)  # type: ignore[return-value]

    return decorate


login_required = roles_required()
