"""``POST /api/v1/lanes/<id>/commands``: open or close a lane's gate by hand, or show a text on its board;
``GET /api/v1/lanes/<id>/commands/<uid>``: a command's fate.

The twin of the lane console's buttons: the same ``parking.services.lane_commands.send_command``, the
same audit row. A command is delivered within its deadline (``PARKING_COMMAND_SECONDS``, 5 s by default)
or never; the answer waits for its fate and says it truthfully: 200 when it was delivered, 202 while it
is still pending, 409 when it was not carried out (expired, cancelled, lane offline, failed, not
supported; the body says which), 503 when no agent heard it, 422 naming the field for a bad body.

The body must be JSON. The route is exempt from the form CSRF token: a JSON request cannot be sent from
another site without the browser asking first, and the session cookie is ``SameSite=Lax``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from parking.models import Lane
from parking.services.lane_commands import CommandResult, LaneCommandError, command_state, send_command

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.lanes import LaneCommandAckSchema, LaneCommandSchema
from . import bp
from .errors import abort_json


def _lane(lane_id: int) -> Lane:
    lane = db().get(Lane, lane_id)
    if lane is None or not lot_visible(lane.lot_id):  # another site's lane is not found
        abort_json(404, f"lane {lane_id} not found", field="lane_id")
    return lane


def _body(result: CommandResult) -> dict[str, Any]:
    command = result.command
    return {
        "uid": command.uid, "lane_id": command.lane_id, "lot_id": command.lot_id, "action": command.action,
        "reason": command.reason, "text": command.text, "heard": result.heard, "acknowledged": bool(result.state),
        "outcome": result.outcome, "delivered": result.delivered, "outcome_at": result.state.get("at"),
        "deadline_seconds": command.seconds, "detail": result.state.get("detail") or {},
    }


def _status(result: CommandResult) -> int:
    return {"delivered": 200, "pending": 202}.get(result.outcome, 409)


@bp.route("/lanes/<int:lane_id>/commands", methods=["POST"])
@roles_required("attendant", "manager", "admin", scope="lanes:write")
@bp.arguments(LaneCommandSchema, location="json", as_kwargs=True)
@bp.response(200, LaneCommandAckSchema, description="The command was delivered to the lane's device")
@bp.alt_response(202, schema=LaneCommandAckSchema, description="Still pending when the answer was written; ask again by its uid")
@bp.alt_response(409, schema=LaneCommandAckSchema, description="Not carried out: `outcome` says why (expired, cancelled, lane_offline...)")
@bp.alt_response(404, schema=ErrorSchema, description="No such lane")
@bp.alt_response(503, schema=ErrorSchema, description="No agent serves the lane's lot now: the command was not delivered")
@bp.doc(tags=["lanes"], summary="Open or close a lane's gate by hand, or show a text on its board")
def send_lane_command(lane_id: int, action: str, reason: str = "", text: str = "") -> Any:
    lane = _lane(lane_id)
    settings = current_app.config["PARKING_SETTINGS"]
    operator_id, _token_id = actor()  # a token's command is audited naming the token (parking.services.audit)
    try:
        result = send_command(db(), store(), lane, action, now=now(), reason=reason, text=text, operator_id=operator_id,
                              deadline_seconds=settings.command_seconds)
    except LaneCommandError as error:
        abort_json(422, str(error), field=error.field)
    if not result.heard:
        abort_json(503, f"no lane controller (agent) serves lot {lane.lot_id} now; the command was not delivered", field=None)
    return _body(result), _status(result)


@bp.route("/lanes/<int:lane_id>/commands/<string(length=32):uid>", methods=["GET"])
@roles_required("attendant", "manager", "admin", scope="lanes:read")
@bp.response(200, LaneCommandAckSchema, description="The command's fate as the agent last reported it")
@bp.alt_response(404, schema=ErrorSchema, description="No such lane, or no command of that uid in the last hour")
@bp.doc(tags=["lanes"], summary="The fate of a command sent to a lane")
def lane_command_state(lane_id: int, uid: str) -> Any:
    lane = _lane(lane_id)
    result = command_state(store(), lane.lot_id, lane.id, uid)
    if result is None:
        abort_json(404, f"no command {uid} for lane {lane_id} in the last hour", field="uid")
    return _body(result)

csrf.exempt(send_lane_command)
