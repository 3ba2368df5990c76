"""What the lane console says back, on the card of the lane the attendant acted on.

A form on a lane's card posts, the view acts and redirects to the card (``back``); what happened is
kept for that lane in the session (``tell``) and shown once, inside the card, when the page is drawn
again (``take``). ``command_message`` words a gate or board command's true fate as the agent reported
it (delivered, queued, expired, cancelled, lane offline...).
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from parking.models import Lane
from parking.services.lane_commands import CommandResult

from ..auth.sites import lot_visible
from ..context import db

LANE_ROLES = ("attendant", "manager", "admin")
SESSION_KEY = "lane_feedback"
MAX_NOTES = 6  # per lane: a card never fills with old news


def lane_or_404(lane_id: int) -> Lane:
    lane = db().get(Lane, lane_id)
    if lane is None or not lot_visible(lane.lot_id):  # another site's lane is not found
        abort(404)
    return lane


def back(lane: Lane) -> ResponseReturnValue:
    return redirect(url_for("console.lanes", _anchor=f"lane-{lane.id}"))


def tell(lane_id: int, category: str, text: str, *, receipt: str = "") -> None:
    """Say ``text`` on the card of ``lane_id`` (category info or error); ``receipt``: a payment to print."""
    notes: dict[str, list[dict[str, Any]]] = dict(session.get(SESSION_KEY) or {})
    kept = list(notes.get(str(lane_id), []))[-(MAX_NOTES - 1):]
    kept.append({"category": "error" if category == "error" else "info", "text": str(text), "receipt": receipt})
    notes[str(lane_id)] = kept
    session[SESSION_KEY] = notes


def take() -> dict[int, list[dict[str, Any]]]:
    """Every lane's notes, once: they are forgotten as they are read."""
    notes = session.pop(SESSION_KEY, None) or {}
    return {int(lane): list(items) for lane, items in notes.items() if str(lane).isdigit()}


def command_message(lane: Lane, what: str, result: CommandResult) -> tuple[str, str]:
    """(category, sentence) for the fate of a command sent to ``lane``."""
    outcome = result.outcome
    cancelled = len(result.state.get("detail", {}).get("cancelled", []))
    if outcome == "delivered":
        return "info", _("%(lane)s：%(what)s指令已送达设备。", lane=lane.name, what=what)
    if outcome == "pending":
        return "info", _("%(lane)s：%(what)s指令已排队，等待相机取走（%(seconds)d 秒内未取走即作废）。", lane=lane.name, what=what,
                         seconds=int(result.command.seconds))
    if outcome == "expired":
        return "error", _("%(lane)s：%(what)s指令超时未送达，已作废，不会再执行。", lane=lane.name, what=what)
    if outcome == "cancelled":
        return "error", _("%(lane)s：%(what)s指令已被落杆取消。", lane=lane.name, what=what)
    if outcome == "lane_offline":
        return "error", _("%(lane)s：车道设备离线，%(what)s指令未发送，请到现场处理。", lane=lane.name, what=what)
    if outcome == "not_supported":
        return "info", _("%(lane)s：该车道道闸由地感自动落杆，无法远程落杆；已撤销 %(n)d 条未执行的抬杆指令。", lane=lane.name, n=cancelled)
    if outcome == "failed":
        return "error", _("%(lane)s：设备拒绝了%(what)s指令，请到现场确认。", lane=lane.name, what=what)
    if outcome == "no_camera":
        return "error", _("%(lane)s：车道相机未连接，指令未执行。", lane=lane.name)
    if outcome == "unknown_lane":
        return "error", _("%(lane)s：车道控制器不管理此车道，指令未执行。", lane=lane.name)
    if outcome == "bad_text":
        return "error", _("%(lane)s：显示屏无法显示这段文字，指令未执行。", lane=lane.name)
    return "error", _("%(lane)s：车道控制器未连接，%(what)s指令未发送，请到现场确认。", lane=lane.name, what=what)


def tell_command(lane: Lane, what: str, result: CommandResult) -> None:
    category, text = command_message(lane, what, result)
    tell(lane.id, category, text)
