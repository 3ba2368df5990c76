"""Lanes with the serial of their camera, and the commands an operator sends to a lane."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from parking.services.lane_commands import ACTIONS

from ..lane_control import REASON_MAX_CHARS, TEXT_MAX_CHARS, undisplayable


class LaneSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    zone_id = fields.Integer(dump_only=True)
    code = fields.String()
    name = fields.String()
    direction = fields.String(metadata={"description": "entry | exit"})
    enabled = fields.Boolean()
    camera_serial = fields.String(dump_only=True, allow_none=True)


class LaneQuerySchema(Schema):
    lot_id = fields.Integer(metadata={"description": "Only the lanes of this lot"})


class LaneCommandSchema(Schema):
    """A command for a lane's devices: open or close the gate by hand (with a reason), or show a text."""

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS), metadata={"description": "open | close | show_text"})
    reason = fields.String(load_default="", validate=validate.Length(max=REASON_MAX_CHARS),
                           metadata={"description": "Why the gate is opened or closed by hand (抬杆原因); required for open and close"})
    text = fields.String(load_default="", validate=validate.Length(max=TEXT_MAX_CHARS),
                         metadata={"description": "Text for the lane's board and voice (GB2312 characters); required for show_text"})

    @validates_schema
    def _needs_reason_or_text(self, data: dict[str, Any], **_: Any) -> None:
        action = data.get("action")
        if action in {"open", "close"} and not data.get("reason", "").strip():
            raise ValidationError("opening or closing a gate by hand needs a reason (抬杆原因)", "reason")
        if action == "show_text":
            if not data.get("text", "").strip():
                raise ValidationError("a text to show is required", "text")
            bad = undisplayable(data["text"])
            if bad is not None:
                raise ValidationError(f"character {bad!r} (U+{ord(bad):04X}) cannot be shown on the lane board (GB2312 only)", "text")


class LaneCommandAckSchema(Schema):
    """A command sent to a lane and what its agent answered."""

    uid = fields.String(dump_only=True, metadata={"description": "The command's id, as journaled by the agent"})
    lane_id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    action = fields.String(dump_only=True)
    reason = fields.String(dump_only=True)
    text = fields.String(dump_only=True)
    heard = fields.Integer(dump_only=True, metadata={"description": "How many agents received the command"})
    acknowledged = fields.Boolean(dump_only=True, metadata={"description": "Whether the agent acknowledged it within a second"})
    outcome = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The agent's answer: queued (on its way to the devices) | unknown_lane | no_camera; null without an acknowledgement"})
    acknowledged_at = fields.String(dump_only=True, allow_none=True, metadata={"description": "When the agent acknowledged it (ISO 8601)"})
