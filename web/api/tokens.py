"""``/api/v1/tokens``: integration tokens, for administrators (or a token with the ``admin`` scope).

The twin of ``parking token create|list|revoke``, over ``parking.services.tokens``: issuing answers with
the token once, listing never shows it (nor its hash), and revoking (``DELETE``) is final. Issuing and
revoking are audited with the operator, or the token, that did it.

The routes are exempt from the form CSRF token, like the other JSON routes: ``POST`` takes a JSON body
only and ``DELETE`` is not a method a form can send, so another site cannot make a browser send either
without asking first; bearer requests need none anyway.
"""

from __future__ import annotations

from typing import Any

from parking.models import ApiToken
from parking.services.tokens import TokenError, find_token, issue_token, list_tokens, revoke_token, state

from ..auth.roles import roles_required
from ..auth.tokens import actor
from ..context import db, now
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.tokens import IssuedTokenSchema, TokenCreateSchema, TokenSchema
from . import bp
from .errors import abort_json

ADMIN_SCOPE = "admin"


def _shown(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id, "name": token.name, "prefix": token.prefix, "scopes": list(token.scopes), "state": state(token, now()),
        "created_by_id": token.created_by_id, "created_at": token.created_at, "expires_at": token.expires_at,
        "revoked_at": token.revoked_at, "last_used_at": token.last_used_at,
    }


def _token_or_404(token_id: int) -> ApiToken:
    try:
        return find_token(db(), token_id)
    except TokenError:
        abort_json(404, f"token {token_id} not found", field="token_id")


@bp.route("/tokens", methods=["POST"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.arguments(TokenCreateSchema, location="json", as_kwargs=True)
@bp.response(201, IssuedTokenSchema, description="The token was issued; `token` is shown in this answer only")
@bp.alt_response(422, schema=ErrorSchema, description="A bad name, scope or number of days (`field` says which)")
@bp.doc(tags=["tokens"], summary="Issue an integration token with scopes (administrators)")
def create_token(name: str, scopes: list[str], expires_days: int | None = None) -> Any:
    operator_id, _ = actor()
    try:
        issued = issue_token(db(), name=name, scopes=scopes, now=now(), expires_days=expires_days, operator_id=operator_id)
    except TokenError as error:
        abort_json(422, str(error), field=error.field)
    return {**_shown(issued.row), "token": issued.secret}, 201


@bp.route("/tokens", methods=["GET"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.response(200, TokenSchema(many=True))
@bp.doc(tags=["tokens"], summary="Every integration token issued, oldest first, without the tokens themselves (administrators)")
def list_api_tokens() -> Any:
    return [_shown(token) for token in list_tokens(db())]


@bp.route("/tokens/<int:token_id>", methods=["GET"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.response(200, TokenSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such token")
@bp.doc(tags=["tokens"], summary="One integration token, without the token itself (administrators)")
def get_api_token(token_id: int) -> Any:
    return _shown(_token_or_404(token_id))


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.response(200, TokenSchema, description="The token is revoked (it already was, if `revoked_at` is earlier)")
@bp.alt_response(404, schema=ErrorSchema, description="No such token")
@bp.doc(tags=["tokens"], summary="Revoke an integration token: it opens nothing from now on (administrators)")
def revoke_api_token(token_id: int) -> Any:
    token = _token_or_404(token_id)
    operator_id, _ = actor()
    revoke_token(db(), token, now=now(), operator_id=operator_id)
    return _shown(token)


csrf.exempt(create_token)
csrf.exempt(revoke_api_token)
