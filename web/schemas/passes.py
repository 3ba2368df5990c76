"""Passes (monthly, time-window, enterprise, owner, shared) with their plates. Holders are personal data:
the resource is for administrators and managers."""

from __future__ import annotations

from marshmallow import Schema, fields


class PassSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    zone_id = fields.Integer(allow_none=True)
    kind = fields.Function(lambda p: p.kind.value, dump_only=True)
    holder = fields.String()
    spaces = fields.Integer()
    valid_from = fields.AwareDateTime()
    valid_until = fields.AwareDateTime()
    window_start = fields.Time(allow_none=True)
    window_end = fields.Time(allow_none=True)
    price_fen = fields.Integer()
    active = fields.Boolean()
    plates = fields.Function(lambda p: [pp.plate for pp in p.plates], dump_only=True)
