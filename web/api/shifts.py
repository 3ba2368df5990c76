"""``/api/v1/shifts``: attendants' shifts at the booth (交班), the twin of the console's shift pages over
``parking.services.shifts``.

- ``GET /shifts`` and ``GET /shifts/<uid>`` (scope ``shifts:read``): an attendant sees their own shifts;
  managers, administrators, auditors and tokens every shift of the lots they see. One shift comes with its
  report (live while open, frozen at closing).
- ``POST /shifts`` opens a shift (scope ``shifts:write``): an operator opens their own; a token names the
  attendant (``operator_id``). ``POST /shifts/<uid>/close`` closes it with the counted cash: only its
  attendant, or a token on the attendant's behalf; a shift closes once (409). ``POST /shifts/<uid>/confirm``:
  managers and administrators confirm a closed shift that is not their own (a token confirms as itself).

Refusals are 422 naming the field, 403 when the caller may not act on that shift, 409 when the shift's
state forbids it (already open, already closed, not closed yet, already confirmed). JSON routes are
exempt from the form CSRF token (see ``web.api.lane_commands``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask_login import current_user
from parking.models import Lane, Lot, Operator, Shift
from parking.services import operators, shifts
from parking.services.shifts import ShiftError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..auth.tokens import actor
from ..context import db, now
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.shifts import ShiftCloseSchema, ShiftOpenSchema, ShiftQuerySchema, ShiftSchema
from ..shift_views import find_shift, shift_document, visible_shifts
from . import bp
from .errors import abort_json

ROLES = ("attendant", "manager", "admin")
CONFIRMERS = ("manager", "admin")
LIST_MAX = 200
FORBIDDEN = ("only the attendant of a shift closes it", "a shift is confirmed by a manager other than its attendant")


def refuse(error: ShiftError) -> NoReturn:
    if error.message in FORBIDDEN:
        abort_json(403, str(error), field=error.field)
    abort_json(409 if error.field == "shift" else 422, str(error), field=error.field)


def shift_or_404(uid: str) -> Shift:
    found = find_shift(uid, current_user)
    if found is None:
        abort_json(404, f"shift {uid[:40]} not found", field="uid")
    return found


@bp.route("/shifts", methods=["GET"])
@roles_required(*ROLES, scope="shifts:read")
@bp.arguments(ShiftQuerySchema, location="query", as_kwargs=True)
@bp.response(200, ShiftSchema(many=True))
@bp.doc(tags=["shifts"], summary=f"Shifts, newest first (at most {LIST_MAX}); an attendant sees their own")
def list_shifts(lot_id: int | None = None, status: str | None = None, operator_id: int | None = None) -> Any:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    query = visible_shifts(current_user)
    if lot_id is not None:
        query = query.where(Shift.lot_id == lot_id)
    if status:
        query = query.where(Shift.status == status)
    if operator_id is not None:
        query = query.where(Shift.operator_id == operator_id)
    return [shift_document(row) for row in db().scalars(query.limit(LIST_MAX))]


@bp.route("/shifts/<uid>", methods=["GET"])
@roles_required(*ROLES, scope="shifts:read")
@bp.response(200, ShiftSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such shift, or one the caller may not see")
@bp.doc(tags=["shifts"], summary="One shift with its report: totals per method, coupons, free releases, hand openings, arrears, refunds, expected cash")
def get_shift(uid: str) -> Any:
    return shift_document(shift_or_404(uid), with_report=True)


def _attendant(requested: int | None) -> int:
    """Whom the shift opened is for: the signed-in operator, or the attendant a token names."""
    operator_id, _token_id = actor()
    if operator_id is not None:
        if requested is not None and requested != operator_id:
            abort_json(422, "operator_id: an operator opens a shift for themselves only", field="operator_id")
        return operator_id
    if requested is None:
        abort_json(422, "operator_id: a token names the attendant the shift is for", field="operator_id")
    person = db().get(Operator, requested)
    if person is None or not person.active or person.role.value not in ROLES:
        abort_json(422, f"operator_id: no active attendant, manager or administrator {requested}", field="operator_id")
    return person.id


@bp.route("/shifts", methods=["POST"])
@roles_required(*ROLES, scope="shifts:write")
@bp.arguments(ShiftOpenSchema, location="json")
@bp.response(201, ShiftSchema, description="The shift is open: booth payments of its attendant are booked in it")
@bp.alt_response(409, schema=ErrorSchema, description="The attendant already has an open shift")
@bp.alt_response(422, schema=ErrorSchema, description="A bad field (a lot not seen, a lane of another lot...), named")
@bp.doc(tags=["shifts"], summary="Open a shift (开班) at a lot, and its booth lane, with the change float")
def open_shift(body: dict[str, Any]) -> Any:
    attendant = _attendant(body.get("operator_id"))
    lot_id, lane_id = body["lot_id"], body.get("lane_id")
    works_at = _lots_of(attendant)
    if db().get(Lot, lot_id) is None or not lot_visible(lot_id) or (works_at is not None and lot_id not in works_at):
        abort_json(422, f"lot_id: no lot {lot_id}", field="lot_id")
    if lane_id is not None:
        lane = db().get(Lane, lane_id)
        if lane is None or lane.lot_id != lot_id:
            abort_json(422, f"lane_id: lot {lot_id} has no lane {lane_id}", field="lane_id")
    try:
        opened = shifts.open_shift(db(), operator_id=attendant, lot_id=lot_id, lane_id=lane_id, at=now(),
                                   opening_float_fen=body["opening_float_fen"])
    except ShiftError as error:
        refuse(error)
    return shift_document(opened, with_report=True), 201


def _lots_of(operator_id: int) -> set[int] | None:
    """The lots an attendant works at: those of their sites (None: bound to none, every lot)."""
    return operators.visible_lot_ids(db(), operators.site_ids_of(db(), operator_id))


@bp.route("/shifts/<uid>/close", methods=["POST"])
@roles_required(*ROLES, scope="shifts:write")
@bp.arguments(ShiftCloseSchema, location="json")
@bp.response(200, ShiftSchema, description="Closed: the report is frozen, the difference recorded; a manager confirms next")
@bp.alt_response(403, schema=ErrorSchema, description="Not the shift's attendant")
@bp.alt_response(404, schema=ErrorSchema, description="No such shift, or one the caller may not see")
@bp.alt_response(409, schema=ErrorSchema, description="The shift is already closed")
@bp.doc(tags=["shifts"], summary="Close a shift (交班) with the cash counted in the drawer")
def close_shift(body: dict[str, Any], uid: str) -> Any:
    found = shift_or_404(uid)
    operator_id, _token_id = actor()
    try:
        closed = shifts.close_shift(db(), found, counted_cash_fen=body["counted_cash_fen"], at=now(),
                                    operator_id=found.operator_id if operator_id is None else operator_id, note=body["note"])
    except ShiftError as error:
        refuse(error)
    return shift_document(closed, with_report=True)


@bp.route("/shifts/<uid>/confirm", methods=["POST"])
@roles_required(*CONFIRMERS, scope="shifts:write")
@bp.response(200, ShiftSchema, description="Confirmed")
@bp.alt_response(403, schema=ErrorSchema, description="The caller's own shift, or not a manager")
@bp.alt_response(404, schema=ErrorSchema, description="No such shift, or one the caller may not see")
@bp.alt_response(409, schema=ErrorSchema, description="The shift is still open, or already confirmed")
@bp.doc(tags=["shifts"], summary="Confirm a closed shift (managers, not for their own shift)")
def confirm_shift(uid: str) -> Any:
    found = shift_or_404(uid)
    operator_id, _token_id = actor()
    try:
        confirmed = shifts.confirm_shift(db(), found, manager_id=operator_id, at=now())  # type: ignore[arg-type]
    except ShiftError as error:
        refuse(error)
    return shift_document(confirmed, with_report=True)


for _view in (open_shift, close_shift, confirm_shift):
    csrf.exempt(_view)
