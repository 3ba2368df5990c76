"""Pass products: what a lot sells as a pass (月卡, 季卡, 年卡, 产权车位, 企业包位) and its price per period in fen."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.models import PassKind
from parking.services.pass_products import MAX_PERIOD_MONTHS, MAX_PRICE_FEN, MAX_SPACES, NAME_MAX_CHARS

from .fields import BoundedInteger, Id

KINDS = [k.value for k in PassKind]


class PassProductSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.Function(lambda p: PassKind(p.kind).value, dump_only=True, metadata={"description": " | ".join(KINDS)})
    period_months = fields.Integer(dump_only=True)
    price_fen = fields.Integer(dump_only=True, metadata={"description": "Price of one period, in fen"})
    spaces = fields.Integer(dump_only=True)
    zone_id = fields.Integer(dump_only=True, allow_none=True)
    window_start = fields.Time(dump_only=True, allow_none=True)
    window_end = fields.Time(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True, metadata={"description": "False: withdrawn from sale"})


class PassProductQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only this lot's products"})
    active = fields.Boolean(metadata={"description": "Only the products on sale (true) or withdrawn (false)"})


class _ProductFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX_CHARS))
    kind = fields.String(validate=validate.OneOf(KINDS))
    period_months = BoundedInteger(min=1, max=MAX_PERIOD_MONTHS, metadata={"description": "Months of one period: 1 月卡, 3 季卡, 12 年卡"})
    price_fen = BoundedInteger(min=0, max=MAX_PRICE_FEN, metadata={"description": "Price of one period, in fen"})
    spaces = BoundedInteger(min=1, max=MAX_SPACES, metadata={"description": "Cars of one pass admitted at once"})
    zone_id = Id(allow_none=True, metadata={"description": "The zone the passes are for; null: every zone of the lot"})
    window_start = fields.Time(allow_none=True, metadata={"description": "Daily window of a time-window pass, e.g. 19:00"})
    window_end = fields.Time(allow_none=True)
    active = fields.Boolean()


class PassProductCreateSchema(_ProductFields):
    lot_id = Id(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"description": "Unique in the lot, e.g. yueka"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX_CHARS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    period_months = BoundedInteger(min=1, max=MAX_PERIOD_MONTHS, load_default=1)
    price_fen = BoundedInteger(min=0, max=MAX_PRICE_FEN, required=True, metadata={"description": "Price of one period, in fen"})
    spaces = BoundedInteger(min=1, max=MAX_SPACES, load_default=1)


class PassProductUpdateSchema(_ProductFields):
    code = fields.String(validate=validate.Length(min=1, max=32))
