"""Shifts at the booth (交班): opening one with the change float, closing it with the counted cash, a
manager's confirmation, and the report of what the shift took. Money is integer fen (分)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.models import ShiftStatus
from parking.services.shifts import NOTE_MAX_CHARS

from .fields import BoundedInteger, Id

FLOAT_MAX_FEN = 1_000_000  # parking.services.shifts.open_shift
COUNTED_MAX_FEN = 100_000_000  # parking.services.shifts.close_shift


class ShiftQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only the shifts of this lot"})
    status = fields.String(validate=validate.OneOf([s.value for s in ShiftStatus]),
                           metadata={"description": "open | closed (waiting for a manager) | confirmed"})
    operator_id = Id(metadata={"description": "Only this attendant's shifts (an attendant sees only their own)"})


class ShiftOpenSchema(Schema):
    lot_id = Id(required=True)
    lane_id = Id(load_default=None, allow_none=True, metadata={"description": "The booth's lane, a lane of the lot"})
    opening_float_fen = BoundedInteger(min=0, max=FLOAT_MAX_FEN, load_default=0,
                                       metadata={"description": "Change money in the drawer at the start, in fen"})
    operator_id = Id(load_default=None, allow_none=True,
                     metadata={"description": "The attendant the shift is for: required with a token, and the caller's own id (or absent) in a session"})


class ShiftCloseSchema(Schema):
    counted_cash_fen = BoundedInteger(min=0, max=COUNTED_MAX_FEN, required=True,
                                      metadata={"description": "The cash counted in the drawer at the end, float included, in fen"})
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX_CHARS))


class ShiftSchema(Schema):
    uid = fields.String(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    lane_id = fields.Integer(dump_only=True, allow_none=True)
    operator_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "open | closed | confirmed"})
    opened_at = fields.AwareDateTime(dump_only=True)
    opening_float_fen = fields.Integer(dump_only=True)
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    expected_cash_fen = fields.Integer(dump_only=True, allow_none=True,
                                       metadata={"description": "Float + cash taken − cash refunded, frozen at closing"})
    counted_cash_fen = fields.Integer(dump_only=True, allow_none=True)
    difference_fen = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "counted − expected"})
    note = fields.String(dump_only=True)
    confirmed_by_id = fields.Integer(dump_only=True, allow_none=True)
    confirmed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    report = fields.Dict(dump_only=True, metadata={"description": (
        "Totals: received_fen and payments per method, received_total_fen, coupon_fen, campaign_fen, free_release_fen, "
        "refunds_fen per method, refund_total_fen, arrears_fen, arrears_count, hand_openings (at, lane, reason, outcome), "
        "opening_float_fen, expected_cash_fen; live while open, frozen at closing")})
