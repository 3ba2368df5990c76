"""The lane console (岗亭): each lane's camera health and latest read, the gate by hand, a text on the board.

Opening or closing a gate by hand and showing a text are POST forms (CSRF token, any operator role);
each sends a command to the site agent through ``parking.services.lane_commands``, waits for its fate
(delivered within the deadline, or expired, cancelled, lane offline...), leaves an audit row, and says
in a flash message what truly happened.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from parking.models import Lane
from parking.services.lane_commands import LaneCommandError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from parking.services.lane_commands import TEXT_MAX_CHARS, CommandResult, gate_reason, send_command

from ..context import db, now, store
from ..lane_status import lane_statuses
from . import bp
from .forms import DETAIL_MAX_CHARS, REASON_LABELS, GateForm, ShowTextForm

LANE_ROLES = ("attendant", "manager", "admin")


@bp.route("/lanes")
@roles_required(*LANE_ROLES)
def lanes() -> ResponseReturnValue:
    settings = current_app.config["PARKING_SETTINGS"]
    return render_template(
        "console/lanes.html",
        statuses=[s for s in lane_statuses(db(), store(), now(), settings.timezone) if lot_visible(s.lane.lot_id)],
        gate_form=GateForm(),
        text_form=ShowTextForm(),
        reason_labels=REASON_LABELS,
        detail_max=DETAIL_MAX_CHARS,
        text_max=TEXT_MAX_CHARS,
    )


def _lane(lane_id: int) -> Lane:
    lane = db().get(Lane, lane_id)
    if lane is None or not lot_visible(lane.lot_id):  # another site's lane is not found
        abort(404)
    return lane


def _back(lane: Lane) -> ResponseReturnValue:
    return redirect(url_for("console.lanes", _anchor=f"lane-{lane.id}"))


def _flash_errors(form: GateForm | ShowTextForm) -> None:
    # A missing or stale CSRF token never gets here: CSRFProtect answers 400 before the view runs.
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")


def _flash_result(lane: Lane, what: str, result: CommandResult) -> None:
    outcome = result.outcome
    cancelled = len(result.state.get("detail", {}).get("cancelled", []))
    if outcome == "delivered":
        flash(_("%(lane)s：%(what)s指令已送达设备。", lane=lane.name, what=what), "info")
    elif outcome == "pending":
        flash(_("%(lane)s：%(what)s指令已排队，等待相机取走（%(seconds)d 秒内未取走即作废）。", lane=lane.name, what=what,
                seconds=int(result.command.seconds)), "info")
    elif outcome == "expired":
        flash(_("%(lane)s：%(what)s指令超时未送达，已作废，不会再执行。", lane=lane.name, what=what), "error")
    elif outcome == "cancelled":
        flash(_("%(lane)s：%(what)s指令已被落杆取消。", lane=lane.name, what=what), "error")
    elif outcome == "lane_offline":
        flash(_("%(lane)s：车道设备离线，%(what)s指令未发送，请到现场处理。", lane=lane.name, what=what), "error")
    elif outcome == "not_supported":
        flash(_("%(lane)s：该车道道闸由地感自动落杆，无法远程落杆；已撤销 %(n)d 条未执行的抬杆指令。", lane=lane.name, n=cancelled), "info")
    elif outcome == "failed":
        flash(_("%(lane)s：设备拒绝了%(what)s指令，请到现场确认。", lane=lane.name, what=what), "error")
    elif outcome == "no_camera":
        flash(_("%(lane)s：车道相机未连接，指令未执行。", lane=lane.name), "error")
    elif outcome == "unknown_lane":
        flash(_("%(lane)s：车道控制器不管理此车道，指令未执行。", lane=lane.name), "error")
    elif outcome == "bad_text":
        flash(_("%(lane)s：显示屏无法显示这段文字，指令未执行。", lane=lane.name), "error")
    else:  # no_agent
        flash(_("%(lane)s：车道控制器未连接，%(what)s指令未发送，请到现场确认。", lane=lane.name, what=what), "error")


@bp.route("/lanes/<int:lane_id>/gate", methods=["POST"])
@roles_required(*LANE_ROLES)
def lane_gate(lane_id: int) -> ResponseReturnValue:
    lane = _lane(lane_id)
    form = GateForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(lane)
    try:
        reason = gate_reason(form.reason.data, form.reason_detail.data or "") if form.reason.data else ""
        result = send_command(db(), store(), lane, form.action.data, now=now(), reason=reason, operator_id=current_user.id,
                              deadline_seconds=current_app.config["PARKING_SETTINGS"].command_seconds)
    except LaneCommandError as error:  # the form checks the same; kept so that a gap shows as a message
        flash(str(error), "error")
        return _back(lane)
    _flash_result(lane, _("抬杆") if form.action.data == "open" else _("落杆"), result)
    return _back(lane)


@bp.route("/lanes/<int:lane_id>/text", methods=["POST"])
@roles_required(*LANE_ROLES)
def lane_text(lane_id: int) -> ResponseReturnValue:
    lane = _lane(lane_id)
    form = ShowTextForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(lane)
    try:
        result = send_command(db(), store(), lane, "show_text", now=now(), text=form.text.data, operator_id=current_user.id,
                              deadline_seconds=current_app.config["PARKING_SETTINGS"].command_seconds)
    except LaneCommandError as error:
        flash(str(error), "error")
        return _back(lane)
    _flash_result(lane, _("显示文字"), result)
    return _back(lane)
