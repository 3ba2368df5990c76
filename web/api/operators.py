"""``/api/v1/operators``: operator accounts, for administrators (or a token with the ``admin`` scope);
auditors read them and change nothing.

The twin of the console's operators page (``web.console.operators``) over the same service,
``parking.services.operators``, which holds every rule (user names, the password policy, known sites, never
disabling or demoting the last active administrator nor disabling one's own account) and audits each
change with before and after. A new account and a reset one must choose a new password at their next
sign-in; disabling and a reset end every session of the account. A generated temporary password is in
the answer that made it (``temporary_password``, with ``Cache-Control: no-store``) and never again;
no answer carries a password hash.

A bad field is a 422 naming it; a user name already taken, or a change that would leave no active
administrator or disable the caller's own account, a 409 naming the field; an unknown account a 404.
JSON routes are exempt from the form CSRF token (see ``web.api.lane_commands``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from parking.services import operators
from parking.services.operators import AccountError, Issued, OperatorView

from ..auth.roles import roles_required
from ..auth.tokens import actor
from ..context import db, now
from ..extensions import csrf
from ..queries import paginate
from ..schemas.errors import ErrorSchema
from ..schemas.operators import (
    IssuedOperatorSchema, OperatorCreateSchema, OperatorPageSchema, OperatorQuerySchema, OperatorSchema, OperatorUpdateSchema,
    PasswordResetSchema,
)
from . import bp
from .errors import abort_json

ADMIN_SCOPE = "admin"
TAGS = ["operators"]
CONFLICTS = frozenset({"username_taken", "last_admin", "own_account", "own_password"})
NO_STORE = {"Cache-Control": "no-store"}


def _refuse(error: AccountError) -> NoReturn:
    if error.code == "no_operator":
        abort_json(404, str(error), field=error.field)
    abort_json(409 if error.code in CONFLICTS else 422, str(error), field=error.field)


def _account(operator_id: int) -> OperatorView:
    try:
        return operators.view(db(), operators.find(db(), operator_id=operator_id))
    except AccountError:
        abort_json(404, f"operator {operator_id} not found", field="operator_id")


def _shown(account: OperatorView) -> dict[str, Any]:
    return {"id": account.id, "username": account.username, "display_name": account.display_name, "role": account.role,
            "sites": list(account.sites), "active": account.active, "must_change_password": account.must_change_password,
            "last_login_at": account.last_login_at, "created_at": account.created_at}


def _issued(issued: Issued) -> dict[str, Any]:
    return {**_shown(issued.operator), "temporary_password": issued.temporary_password}


@bp.route("/operators", methods=["GET"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.arguments(OperatorQuerySchema, location="query", as_kwargs=True)
@bp.response(200, OperatorPageSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad filter or page (`field` says which), or an unknown site")
@bp.doc(tags=TAGS, summary="Operator accounts by user name, filtered by role, state and site, and paged")
def list_operators(page: int, per_page: int, role: str | None = None, active: bool | None = None, site: str | None = None) -> Any:
    try:
        query = operators.select_operators(db(), role=role, active=active, site_code=site)
    except AccountError as error:
        _refuse(error)
    result = paginate(db(), query, page, per_page)
    return {"items": [_shown(operators.view(db(), operator)) for operator in result.items], "page": result.page,
            "per_page": result.per_page, "total": result.total, "pages": result.pages}


@bp.route("/operators", methods=["POST"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.arguments(OperatorCreateSchema, location="json", as_kwargs=True)
@bp.response(201, IssuedOperatorSchema, description="The account was created; a generated `temporary_password` is shown in this answer only")
@bp.alt_response(409, schema=ErrorSchema, description="The user name is taken")
@bp.alt_response(422, schema=ErrorSchema, description="A bad user name, role, display name, site or password (`field` says which)")
@bp.doc(tags=TAGS, summary="Create an account, which must choose its own password at its first sign-in")
def create_operator(username: str, role: str, display_name: str, sites: list[str], password: str | None = None) -> Any:
    try:
        issued = operators.create_operator(db(), username, role, password=password, display_name=display_name, sites=sites,
                                           actor_id=actor()[0], now=now())
    except AccountError as error:
        _refuse(error)
    return _issued(issued), 201, NO_STORE


@bp.route("/operators/<int:operator_id>", methods=["GET"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.response(200, OperatorSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such account")
@bp.doc(tags=TAGS, summary="One operator account")
def get_operator(operator_id: int) -> Any:
    return _shown(_account(operator_id))


@bp.route("/operators/<int:operator_id>", methods=["PATCH"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.arguments(OperatorUpdateSchema, location="json")
@bp.response(200, OperatorSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such account")
@bp.alt_response(409, schema=ErrorSchema, description="The change would leave no active administrator")
@bp.alt_response(422, schema=ErrorSchema, description="A bad role, display name or site (`field` says which)")
@bp.doc(tags=TAGS, summary="Change an account's role, sites (the complete new set; [] for every site) or display name")
def update_operator(body: dict[str, Any], operator_id: int) -> Any:
    _account(operator_id)
    try:
        return _shown(operators.update_operator(db(), operator_id, role=body.get("role"), sites=body.get("sites"),
                                                display_name=body.get("display_name"), actor_id=actor()[0], now=now()))
    except AccountError as error:
        _refuse(error)


def _set_active(operator_id: int, active: bool) -> dict[str, Any]:
    _account(operator_id)
    try:
        return _shown(operators.set_active(db(), operator_id, active, actor_id=actor()[0], now=now()))
    except AccountError as error:
        _refuse(error)


@bp.route("/operators/<int:operator_id>/disable", methods=["POST"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.response(200, OperatorSchema, description="The account is disabled and every session of it has ended (nothing changes if it was already)")
@bp.alt_response(404, schema=ErrorSchema, description="No such account")
@bp.alt_response(409, schema=ErrorSchema, description="It is the last active administrator, or the caller's own account")
@bp.doc(tags=TAGS, summary="Disable an account: it can no longer sign in, and its sessions end")
def disable_operator(operator_id: int) -> Any:
    return _set_active(operator_id, False)


@bp.route("/operators/<int:operator_id>/enable", methods=["POST"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.response(200, OperatorSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such account")
@bp.doc(tags=TAGS, summary="Enable a disabled account")
def enable_operator(operator_id: int) -> Any:
    return _set_active(operator_id, True)


@bp.route("/operators/<int:operator_id>/reset-password", methods=["POST"])
@roles_required("admin", scope=ADMIN_SCOPE)
@bp.arguments(PasswordResetSchema, location="json", as_kwargs=True, required=False)
@bp.response(200, IssuedOperatorSchema, description="The password is reset; a generated `temporary_password` is shown in this answer only")
@bp.alt_response(404, schema=ErrorSchema, description="No such account")
@bp.alt_response(422, schema=ErrorSchema, description="The password given breaks the password policy")
@bp.doc(tags=TAGS, summary="Reset an account's password to a temporary one, to be changed at its next sign-in; its sessions end")
def reset_operator_password(operator_id: int, password: str | None = None) -> Any:
    _account(operator_id)
    try:
        issued = operators.reset_password(db(), operator_id, password=password, actor_id=actor()[0], now=now())
    except AccountError as error:
        _refuse(error)
    return _issued(issued), 200, NO_STORE


for _view in (create_operator, update_operator, disable_operator, enable_operator, reset_operator_password):
    csrf.exempt(_view)
