"""``POST /api/v1/lanes/<id>/commands``: open or close a lane's gate by hand, or show a text on its board.

The twin of the lane console's buttons: the same ``web.lane_control.send_command``, the same audit row.
Answers 200 with the agent's acknowledgement, 202 when an agent heard the command but did not acknowledge
it within a second (it may still be carried out: check the lane before sending it again), 503 when no
agent heard it, and 422 naming the field for a bad body.

The body must be JSON. The route is exempt from the form CSRF token: a JSON request cannot be sent from
another site without the browser asking first, and the session cookie is ``SameSite=Lax``.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from parking.models import Lane
from parking.services.lane_commands import LaneCommandError

from ..auth.roles import roles_required
from ..context import db, runtime
from ..extensions import csrf
from ..lane_control import send_command
from ..schemas.errors import ErrorSchema
from ..schemas.lanes import LaneCommandAckSchema, LaneCommandSchema
from . import bp
from .errors import abort_json


@bp.route("/lanes/<int:lane_id>/commands", methods=["POST"])
@roles_required("attendant", "manager", "admin")
@bp.arguments(LaneCommandSchema, location="json", as_kwargs=True)
@bp.response(200, LaneCommandAckSchema, description="The agent acknowledged the command; `outcome` says what it did with it")
@bp.alt_response(202, schema=LaneCommandAckSchema, description="An agent heard the command but did not acknowledge it within a second")
@bp.alt_response(404, schema=ErrorSchema, description="No such lane")
@bp.alt_response(503, schema=ErrorSchema, description="No agent serves the lane's lot now: the command was not delivered")
@bp.doc(tags=["lanes"], summary="Open or close a lane's gate by hand, or show a text on its board")
def send_lane_command(lane_id: int, action: str, reason: str = "", text: str = "") -> Any:
    lane = db().get(Lane, lane_id)
    if lane is None:
        abort_json(404, f"lane {lane_id} not found", field="lane_id")
    try:
        result = send_command(db(), runtime().redis, lane, action, reason=reason, text=text, operator_id=current_user.id)
    except LaneCommandError as error:
        abort_json(422, str(error), field=error.field)
    if not result.heard:
        abort_json(503, f"no lane controller (agent) serves lot {lane.lot_id} now; the command was not delivered", field=None)
    command = result.command
    body = {
        "uid": command.uid, "lane_id": command.lane_id, "lot_id": command.lot_id, "action": command.action,
        "reason": command.reason, "text": command.text, "heard": result.heard, "acknowledged": result.ack is not None,
        "outcome": result.outcome, "acknowledged_at": result.ack.get("at") if result.ack else None,
    }
    return body, (200 if result.ack is not None else 202)


csrf.exempt(send_lane_command)
