"""Lanes with the serial of their camera."""

from __future__ import annotations

from marshmallow import Schema, fields


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
