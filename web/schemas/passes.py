"""Passes (monthly, time-window, enterprise, owner, shared) with their plates, where each stands now, and
the bodies that issue, renew, suspend, end and change them. Holders are personal data: the resource is
for administrators and managers. Money is integer fen (分)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.pass_terms import STATUSES
from parking.services.pass_queries import FILTERS, SEARCH_MAX_CHARS
from parking.services.passes import (
    HOLDER_MAX_CHARS, HOUSEHOLD_MAX_CHARS, MAX_PERIODS, MAX_PLATES, NOTE_MAX_CHARS, PHONE_MAX_CHARS, REASON_MAX_CHARS,
)
from parking.services.spreadsheets import FORMATS

from .fields import BoundedInteger, Id

PLATE_MAX_CHARS = 32  # the longest plate text read (normalised plates hold at most 10)


class PassSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    product_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The product the pass was sold from"})
    zone_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The zone it is for; null: every zone of the lot"})
    kind = fields.String(dump_only=True, metadata={"description": "monthly | time_window | enterprise | owner | shared"})
    holder = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    household = fields.String(dump_only=True, metadata={"description": "e.g. 3栋502"})
    note = fields.String(dump_only=True)
    spaces = fields.Integer(dump_only=True, metadata={"description": "Cars of the pass admitted at once (一位多车: fewer spaces than plates)"})
    plates = fields.List(fields.String(), dump_only=True)
    valid_from = fields.AwareDateTime(dump_only=True)
    valid_until = fields.AwareDateTime(dump_only=True, metadata={"description": "The end of the validity (exclusive)"})
    last_day = fields.Date(dump_only=True, metadata={"description": "The last valid day in the lot's time zone"})
    window_start = fields.Time(dump_only=True, allow_none=True)
    window_end = fields.Time(dump_only=True, allow_none=True)
    price_fen = fields.Integer(dump_only=True, metadata={"description": "Paid for the validity, in fen"})
    active = fields.Boolean(dump_only=True, metadata={"description": "False once ended"})
    suspended_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    ended_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, metadata={"description": " | ".join(STATUSES)})
    days_left = fields.Integer(dump_only=True, metadata={"description": "Days to the last valid day (0 on it, negative after it)"})


class PassQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only the passes of this lot"})
    product_id = Id(metadata={"description": "Only the passes sold from this product"})
    q = fields.String(validate=validate.Length(max=SEARCH_MAX_CHARS),
                      metadata={"description": "A fragment of a plate, the holder's name, household or phone"})
    status = fields.String(validate=validate.OneOf(FILTERS), metadata={"description": "lapsed: past its validity (in grace or expired)"})


class ExpiringQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only the passes of this lot"})
    days = BoundedInteger(min=0, max=366, metadata={"description": "Last valid day within this many days; each lot's expiry_warning_days when omitted"})


def _text(limit: int, **kwargs: object) -> fields.String:
    return fields.String(validate=validate.Length(max=limit), **kwargs)  # type: ignore[arg-type]


class PassIssueSchema(Schema):
    product_id = Id(required=True, metadata={"description": "The product sold: its lot, kind, zone, window, spaces and price per period"})
    holder = _text(HOLDER_MAX_CHARS, required=True)
    plates = fields.List(_text(PLATE_MAX_CHARS), required=True, validate=validate.Length(min=1, max=MAX_PLATES))
    start = fields.Date(required=True, metadata={"description": "The first day (the pass starts at local midnight)"})
    periods = BoundedInteger(min=1, max=MAX_PERIODS, load_default=1, metadata={"description": "Periods sold; the price is periods × the product's price"})
    phone = _text(PHONE_MAX_CHARS, load_default="")
    household = _text(HOUSEHOLD_MAX_CHARS, load_default="")
    note = _text(NOTE_MAX_CHARS, load_default="")


class PassUpdateSchema(Schema):
    holder = _text(HOLDER_MAX_CHARS)
    phone = _text(PHONE_MAX_CHARS)
    household = _text(HOUSEHOLD_MAX_CHARS)
    note = _text(NOTE_MAX_CHARS)


class PlatesSchema(Schema):
    plates = fields.List(_text(PLATE_MAX_CHARS), required=True, validate=validate.Length(min=1, max=MAX_PLATES))


class RenewSchema(Schema):
    periods = BoundedInteger(min=1, max=MAX_PERIODS, required=True)
    product_id = Id(metadata={"description": "Renew at this product's period and price (of the same kind); the pass's own product when omitted"})


class ReasonSchema(Schema):
    reason = _text(REASON_MAX_CHARS, load_default="")


class EndSchema(Schema):
    refund = fields.Boolean(load_default=False, metadata={"description": "Compute the pro-rata refund for the remaining whole days"})
    reason = _text(REASON_MAX_CHARS, load_default="")


class RefundSchema(Schema):
    remaining_days = fields.Integer(dump_only=True, metadata={"description": "Whole days left of the validity"})
    days = fields.Integer(dump_only=True, metadata={"description": "Days of the validity"})
    price_fen = fields.Integer(dump_only=True, metadata={"description": "Paid for the validity"})
    refund_fen = fields.Integer(dump_only=True, metadata={"description": "remaining_days × price_fen ÷ days, rounded down"})


class RenewalSchema(Schema):
    parking_pass = fields.Nested(PassSchema, data_key="pass", dump_only=True)
    charged_fen = fields.Integer(dump_only=True, metadata={"description": "What the renewal costs"})
    gap = fields.Boolean(dump_only=True, metadata={"description": "True when the pass had lapsed beyond the grace and starts again today"})


class EndedSchema(Schema):
    parking_pass = fields.Nested(PassSchema, data_key="pass", dump_only=True)
    refund = fields.Nested(RefundSchema, dump_only=True, allow_none=True)


class ExportQuerySchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(FORMATS))
    lot_id = Id(metadata={"description": "Only the passes of this lot"})
    language = fields.String(load_default="zh", validate=validate.OneOf(("zh", "en")),
                             metadata={"description": "zh: Chinese headers and states; en: the English keys"})


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check every row and report, write nothing"})


class RowErrorSchema(Schema):
    row = fields.Integer(dump_only=True, metadata={"description": "As the spreadsheet numbers it: the header is row 1"})
    column = fields.String(dump_only=True, metadata={"description": "As the file names it"})
    message = fields.String(dump_only=True)


class ImportReportSchema(Schema):
    rows = fields.Integer(dump_only=True)
    created = fields.Integer(dump_only=True, metadata={"description": "Passes created (or, in a dry run, that would be)"})
    unchanged = fields.Integer(dump_only=True, metadata={"description": "Rows that are passes already there"})
    written = fields.Boolean(dump_only=True)
    dry_run = fields.Boolean(dump_only=True)
    pass_ids = fields.List(fields.Integer(), dump_only=True)
    errors = fields.List(fields.Nested(RowErrorSchema), dump_only=True)
