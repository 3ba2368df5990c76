"""Lanes with the serial of their camera, and the commands an operator sends to a lane."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from parking.services.lane_commands import ACTIONS, OUTCOMES, REASON_MAX_CHARS, TEXT_MAX_CHARS, LaneCommandError, validate as check_command

from .fields import Id


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
    lot_id = Id(metadata={"description": "Only the lanes of this lot"})


class LaneCommandSchema(Schema):
    """A command for a lane's devices: open or close the gate by hand (with a reason), or show a text."""

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS), metadata={"description": "open | close | show_text"})
    reason = fields.String(load_default="", validate=validate.Length(max=REASON_MAX_CHARS),
                           metadata={"description": "Why the gate is opened or closed by hand (抬杆原因); required for open and close"})
    text = fields.String(load_default="", validate=validate.Length(max=TEXT_MAX_CHARS),
                         metadata={"description": "Text for the lane's board and voice (GB2312 characters); required for show_text"})

    @validates_schema
    def _command_is_valid(self, data: dict[str, Any], **_: Any) -> None:
        try:  # the one validation of a lane command, shared with the console and the CLI
            check_command(data.get("action", ""), reason=data.get("reason", ""), text=data.get("text", ""))
        except LaneCommandError as error:
            raise ValidationError(str(error).partition(": ")[2], error.field) from None


class LaneCommandAckSchema(Schema):
    """A command sent to a lane and its fate as the lane's agent reported it."""

    uid = fields.String(dump_only=True, metadata={"description": "The command's id, as journaled by the agent"})
    lane_id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    action = fields.String(dump_only=True)
    reason = fields.String(dump_only=True)
    text = fields.String(dump_only=True)
    heard = fields.Integer(dump_only=True, metadata={"description": "How many agents received the command"})
    acknowledged = fields.Boolean(dump_only=True, metadata={"description": "Whether the agent reported on it at all"})
    outcome = fields.String(dump_only=True, metadata={
        "description": "The command's fate: " + " | ".join(OUTCOMES) + ". delivered: the gate relay answered or the camera "
                       "took it; expired: not delivered by its deadline, never performed; cancelled: withdrawn by a close; "
                       "lane_offline: the lane's device is not heard from, nothing was queued; not_supported: the gate closes "
                       "by its loop only; no_agent: no agent serves the lot; pending: no final report yet"})
    delivered = fields.Boolean(dump_only=True)
    outcome_at = fields.String(dump_only=True, allow_none=True, metadata={"description": "When the agent reported the outcome (ISO 8601)"})
    deadline_seconds = fields.Float(dump_only=True, metadata={"description": "Delivered within this many seconds or never"})
    detail = fields.Dict(dump_only=True, metadata={"description": "e.g. the uids a close cancelled, a device's error"})
