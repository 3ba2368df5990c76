"""Parking sessions (one stay of one vehicle) and the query that lists them, newest entry first.

Plates appear in full: this resource is for signed-in operators only.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.models import SessionStatus

from .fields import Id, PageNumber, PerPage

MAX_PER_PAGE = 200


class SessionSchema(Schema):
    id = fields.Integer(dump_only=True)
    uid = fields.String(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    zone_id = fields.Integer(dump_only=True)
    plate = fields.String()
    plate_color = fields.String()
    vehicle_class = fields.String()
    status = fields.Function(lambda s: s.status.value, dump_only=True, metadata={"description": "open | closed | voided"})
    entry_lane_id = fields.Integer(allow_none=True)
    entry_at = fields.AwareDateTime()
    exit_lane_id = fields.Integer(allow_none=True)
    exit_at = fields.AwareDateTime(allow_none=True)
    fee_fen = fields.Integer(metadata={"description": "Fee in fen (分)"})
    paid_fen = fields.Integer(metadata={"description": "Paid in fen (分)"})


class SessionQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only sessions of this lot"})
    status = fields.String(validate=validate.OneOf([s.value for s in SessionStatus]))
    page = PageNumber()
    per_page = PerPage(max_per_page=MAX_PER_PAGE, default=50)


class SessionPageSchema(Schema):
    items = fields.List(fields.Nested(SessionSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
