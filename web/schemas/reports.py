"""The revenue report (``parking.services.revenue``) and the stored bill reconciliations in the API:
the query (a period of days, a lot) and the shapes answered. Every amount is integer fen."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from marshmallow import Schema, fields

from .fields import BoundedText, Id

FEN = {"description": "Integer fen (分)"}


class DayField(BoundedText, fields.Date):
    """A day, ``YYYY-MM-DD``."""

    max_chars = 10
    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Not a day; expected YYYY-MM-DD, e.g. 2026-11-01."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        return super()._deserialize(self._bounded(value.strip() if isinstance(value, str) else value), attr, data, **kwargs)


class RevenueQuerySchema(Schema):
    first = DayField(data_key="from", required=True, metadata={"description": "First day (in each lot's time zone)", "example": "2026-11-01"})
    last = DayField(data_key="to", required=True, metadata={"description": "Last day, included", "example": "2026-11-30"})
    lot_id = Id(metadata={"description": "Only this lot"})


class FiguresSchema(Schema):
    receivable_fen = fields.Integer(metadata={"description": "Fees of the stays that ended (应收), in fen"})
    stays = fields.Integer(metadata={"description": "Stays that ended"})
    received_fen = fields.Integer(metadata={"description": "Payments paid (实收), in fen"})
    payments = fields.Integer()
    received_by_method = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "Received by payment method, in fen"})
    discount_fen = fields.Integer(metadata=FEN)
    discounts_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                    metadata={"description": "coupon, campaign, free_release, waiver; in fen (a refund is under refund_fen)"})
    arrears_created_fen = fields.Integer(metadata=FEN)
    arrears_paid_fen = fields.Integer(metadata={"description": "The part of received that paid arrears back, in fen"})
    refund_fen = fields.Integer(metadata=FEN)
    net_fen = fields.Integer(metadata={"description": "received - refunds, in fen"})


class ReportLotSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()


class DaySchema(FiguresSchema):
    day = fields.String(metadata={"example": "2026-11-01"})


class LotFiguresSchema(FiguresSchema):
    lot_id = fields.Integer()
    code = fields.String()
    name = fields.String()


class LaneFiguresSchema(FiguresSchema):
    lane_id = fields.Integer(allow_none=True, metadata={"description": "null: money of no lane (e.g. arrears paid back by phone)"})
    code = fields.String()
    name = fields.String()
    lot_id = fields.Integer(allow_none=True)


class AttendantFiguresSchema(FiguresSchema):
    class Meta:
        exclude = ("receivable_fen", "stays")

    operator_id = fields.Integer(allow_none=True, metadata={"description": "null: money no operator took (online payments)"})
    username = fields.String()
    display_name = fields.String()


class MethodFiguresSchema(Schema):
    method = fields.String()
    received_fen = fields.Integer(metadata=FEN)
    payments = fields.Integer()
    arrears_paid_fen = fields.Integer(metadata=FEN)
    refund_fen = fields.Integer(metadata=FEN)
    net_fen = fields.Integer(metadata=FEN)


class RevenueSchema(Schema):
    first = fields.String(attribute="from", data_key="from", metadata={"example": "2026-11-01"})
    last = fields.String(attribute="to", data_key="to", metadata={"example": "2026-11-30"})
    lots = fields.List(fields.Nested(ReportLotSchema))
    totals = fields.Nested(FiguresSchema)
    days = fields.List(fields.Nested(DaySchema))
    by_lot = fields.List(fields.Nested(LotFiguresSchema))
    by_lane = fields.List(fields.Nested(LaneFiguresSchema))
    by_attendant = fields.List(fields.Nested(AttendantFiguresSchema))
    by_method = fields.List(fields.Nested(MethodFiguresSchema))


class ReconciliationQuerySchema(Schema):
    first = DayField(data_key="from", required=True, metadata={"description": "First day (Beijing time)", "example": "2026-11-01"})
    last = DayField(data_key="to", required=True, metadata={"description": "Last day, included", "example": "2026-11-30"})
    method = fields.String(metadata={"description": "wechat or alipay; both when omitted"})


class DifferenceSchema(Schema):
    kind = fields.String(metadata={"description": "not_in_ledger, not_in_bill, amount_differs, other_day, refund_not_in_ledger, "
                                                  "refund_not_in_bill, refund_amount_differs, refund_other_day"})
    out_trade_no = fields.String()
    out_refund_no = fields.String()
    transaction_id = fields.String()
    bill_fen = fields.Integer(allow_none=True)
    ledger_fen = fields.Integer(allow_none=True)
    bill_at = fields.String()
    ledger_at = fields.String()
    ledger_status = fields.String()
    lot_id = fields.Integer(allow_none=True)


class ReconciliationSchema(Schema):
    day = fields.Date()
    method = fields.String(metadata={"description": "wechat or alipay"})
    status = fields.String(metadata={"description": "clean, differences or failed"})
    error = fields.String()
    checked_at = fields.AwareDateTime()
    bill_payments = fields.Integer()
    bill_payment_fen = fields.Integer(metadata=FEN)
    bill_refunds = fields.Integer()
    bill_refund_fen = fields.Integer(metadata=FEN)
    ledger_payments = fields.Integer()
    ledger_payment_fen = fields.Integer(metadata=FEN)
    ledger_refunds = fields.Integer()
    ledger_refund_fen = fields.Integer(metadata=FEN)
    differences = fields.List(fields.Nested(DifferenceSchema))
