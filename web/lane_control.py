"""Commands an operator sends to a lane from the console or the API: open or close the gate by hand, show a text.

``send_command`` publishes through ``parking.services.lane_commands``, waits up to ``ACK_SECONDS`` for
the agent's acknowledgement when an agent heard it, and adds an ``AuditEvent`` (operator, action, lane,
reason, what the agent answered) for every command that was sent, heard or not. A command the service
refuses (no reason, no text) raises ``LaneCommandError`` naming the field, before anything is sent.

Opening or closing by hand needs a reason (抬杆原因) from ``GATE_REASONS``; the reason is recorded in
Chinese, the site's language, whatever language the operator's page is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.orm import Session

from parking.models import Lane
from parking.services import lane_commands
from parking.services.lane_commands import LaneCommandError

from . import audit

ACK_SECONDS = 1.0
TEXT_MAX_CHARS = 64  # an LED line holds 255 GB2312 bytes; a lane board shows far fewer characters at once
REASON_MAX_CHARS = 100
OTHER_REASON = "other"
GATE_REASONS: dict[str, str] = {
    "visitor": "访客未登记",
    "plate_unread": "车牌识别失败",
    "free": "免费放行",
    "fault": "设备故障",
    OTHER_REASON: "其他",
}

@dataclass(frozen=True)
class CommandResult:
    command: lane_commands.LaneCommand
    heard: int  # agents that received it; 0: no agent serves the lot now (or Redis is unreachable)
    ack: dict[str, Any] | None  # the agent's acknowledgement, None if none came in time

    @property
    def outcome(self) -> str | None:
        """queued | unknown_lane | no_camera as the agent answered, or None without an acknowledgement."""
        return str(self.ack["outcome"]) if self.ack else None

    @property
    def delivered(self) -> bool:
        return self.outcome == "queued"


def gate_reason(code: str, detail: str) -> str:
    """The reason recorded for ``code`` from ``GATE_REASONS`` with the operator's words, if any.

    "other" needs the words; any other code may add them after the chosen reason.
    """
    detail = " ".join(detail.split())
    if code not in GATE_REASONS:
        raise LaneCommandError("reason", f"{code!r} is not one of {', '.join(GATE_REASONS)}")
    if code == OTHER_REASON:
        if not detail:
            raise LaneCommandError("reason_detail", "describe the reason when it is 'other'")
        return detail
    return f"{GATE_REASONS[code]}：{detail}" if detail else GATE_REASONS[code]


def undisplayable(text: str) -> str | None:
    """The first character a lane's LED board cannot show (outside GB2312), or None if all can be shown."""
    for ch in text:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return ch
    return None


def _check_text(text: str) -> None:
    if len(text) > TEXT_MAX_CHARS:
        raise LaneCommandError("text", f"{len(text)} characters; a lane board shows at most {TEXT_MAX_CHARS}")
    bad = undisplayable(text)
    if bad is not None:
        raise LaneCommandError("text", f"character {bad!r} (U+{ord(bad):04X}) cannot be shown on the lane board (GB2312 only)")


def send_command(db: Session, client: redis.Redis, lane: Lane, action: str, *, reason: str = "", text: str = "",
                 operator_id: int | None, ack_seconds: float = ACK_SECONDS) -> CommandResult:
    """Send ``action`` to ``lane`` and wait for the agent; the audit row is committed before returning."""
    if action == "show_text":
        _check_text(text.strip())
        reason = ""
    else:
        text = ""
        if len(reason.strip()) > REASON_MAX_CHARS:
            raise LaneCommandError("reason", f"{len(reason.strip())} characters; at most {REASON_MAX_CHARS}")
    try:
        command, heard = lane_commands.send(client, lane.lot_id, lane.id, action, text=text, reason=reason, operator_id=operator_id)
    except redis.RedisError:
        command = lane_commands.LaneCommand("", lane.lot_id, lane.id, action, text.strip(), reason.strip(), operator_id)
        heard = 0
    ack = None
    if heard:
        try:
            ack = lane_commands.wait_for_ack(client, command, timeout=ack_seconds)
        except redis.RedisError:
            ack = None
    result = CommandResult(command, heard, ack)
    audit.record(
        db, f"lane.{action}", operator_id=operator_id, target=lane.code,
        lane_id=lane.id, lot_id=lane.lot_id, reason=command.reason, text=command.text,
        command=command.uid, heard=heard, outcome=result.outcome,
    )
    db.commit()
    return result
