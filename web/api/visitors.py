"""``/api/v1/visitors``: visitor registrations (访客登记), by attendants, managers and administrators (or
a token with ``passes:read`` / ``passes:write``).

Registering and cancelling go through ``parking.services.visitors`` (plate parsed, window checked,
audited, felt at the lanes at once). ``DELETE`` cancels: a visit under way ends now, one to come is
removed. An operator bound to sites registers and sees visitors of their lots only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parking.models import Visitor
from parking.services import visitors
from parking.services.config_changes import ConfigChangeError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, visible_lot_ids
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.lists import VisitorCreateSchema, VisitorQuerySchema, VisitorSchema
from . import bp
from .errors import abort_json

ROLES = ("attendant", "manager", "admin")


@bp.route("/visitors", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.arguments(VisitorQuerySchema, location="query", as_kwargs=True)
@bp.response(200, VisitorSchema(many=True))
@bp.doc(tags=["visitors"], summary="Visitor registrations not over yet (or all), soonest first")
def list_visitors(lot_id: int | None = None, q: str = "", include_past: bool = False) -> Any:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    visible = visible_lot_ids()
    return visitors.visitors(db(), now=now(), lot_id=lot_id, lot_ids=None if visible is None else sorted(visible), text_filter=q,
                             include_past=include_past)


@bp.route("/visitors", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(VisitorCreateSchema, location="json", as_kwargs=True)
@bp.response(201, VisitorSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad field: an impossible plate, no host, a window empty, past or over 30 days")
@bp.doc(tags=["visitors"], summary="Register a visitor's car for a household and a time window")
def register_visitor(lot_id: int, plate: str, host: str, valid_until: datetime, valid_from: datetime | None = None) -> Any:
    if not lot_visible(lot_id):
        abort_json(422, f"lot_id: no lot {lot_id}", field="lot_id")
    try:
        visitor = visitors.register(db(), store(), lot_id=lot_id, plate=plate, host=host, valid_from=valid_from, valid_until=valid_until,
                                    operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        abort_json(422, str(error), field=error.field)
    return visitor, 201


@bp.route("/visitors/<int:visitor_id>", methods=["DELETE"])
@roles_required(*ROLES, scope="passes:write")
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such registration")
@bp.alt_response(409, schema=ErrorSchema, description="The visit is over already")
@bp.doc(tags=["visitors"], summary="Cancel a registration: a visit under way ends now, one to come is removed")
def cancel_visitor(visitor_id: int) -> Any:
    visitor = db().get(Visitor, visitor_id)
    if visitor is None or not lot_visible(visitor.lot_id):
        abort_json(404, f"visitor registration {visitor_id} not found", field="visitor_id")
    try:
        visitors.cancel(db(), store(), visitor_id, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        abort_json(409, str(error), field=error.field)
    return None


for _view in (register_visitor, cancel_visitor):
    csrf.exempt(_view)
