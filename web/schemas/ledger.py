"""Payments, refunds and arrears as the API shows them, and the queries that list them (paged).

Money is integer fen; times are ISO 8601 with their UTC offset. Plates appear in full: these resources are
for signed-in operators and tokens with a payments scope only.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from parking.services import arrears_queries, payment_queries

from .fees import EXAMPLE_INSTANT, InstantField
from .fields import BoundedInteger, Id, PageNumber, PerPage

MAX_PER_PAGE = 200
REASON_MAX_CHARS = 1000  # what the body may carry; the ledger keeps at most 200 and says so (audited)


class PaymentRefundSchema(Schema):
    uid = fields.String(dump_only=True, metadata={"description": "Our refund number (out_refund_no)"})
    amount_fen = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "pending | refunded | failed"})
    refund_id = fields.String(dump_only=True, metadata={"description": "The platform's refund id, once it gave one"})
    operator_id = fields.Integer(dump_only=True, allow_none=True)
    shift_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The manager's shift a cash refund was handed back in"})
    created_at = fields.AwareDateTime(dump_only=True)
    refunded_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class PaymentSchema(Schema):
    uid = fields.String(dump_only=True, metadata={"description": "Our order number (out_trade_no)"})
    lot_id = fields.Integer(dump_only=True)
    session_uid = fields.String(dump_only=True, allow_none=True, metadata={"description": "The stay it paid; null for arrears paid back alone"})
    plate = fields.String(dump_only=True)
    purpose = fields.String(dump_only=True, metadata={"description": "stay | arrears"})
    method = fields.String(dump_only=True, metadata={"description": " | ".join(payment_queries.METHODS)})
    status = fields.String(dump_only=True, metadata={"description": " | ".join(payment_queries.STATUSES)})
    scene = fields.String(dump_only=True)
    amount_fen = fields.Integer(dump_only=True)
    arrears_fen = fields.Integer(dump_only=True, metadata={"description": "The part of the amount that paid back arrears of the plate"})
    refunded_fen = fields.Integer(dump_only=True, metadata={"description": "Refunded so far (pending refunds included)"})
    operator_id = fields.Integer(dump_only=True, allow_none=True)
    shift_id = fields.Integer(dump_only=True, allow_none=True)
    lane_id = fields.Integer(dump_only=True, allow_none=True)
    transaction_id = fields.String(dump_only=True, allow_none=True, metadata={"description": "The platform's transaction number"})
    created_at = fields.AwareDateTime(dump_only=True)
    paid_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class PaidBackSchema(Schema):
    arrears_uid = fields.String(dump_only=True)
    plate = fields.String(dump_only=True)
    session_uid = fields.String(dump_only=True, allow_none=True)
    amount_fen = fields.Integer(dump_only=True)
    at = fields.AwareDateTime(dump_only=True)


class PaymentDetailSchema(PaymentSchema):
    quote = fields.Dict(dump_only=True, allow_none=True, metadata={"description": "The quote it settled, every line kept"})
    refundable_fen = fields.Integer(dump_only=True, metadata={"description": "What a manager may still refund"})
    refunds = fields.List(fields.Nested(PaymentRefundSchema), dump_only=True)
    paid_back = fields.List(fields.Nested(PaidBackSchema), dump_only=True, metadata={"description": "The arrears this payment paid back"})


class PaymentPageSchema(Schema):
    items = fields.List(fields.Nested(PaymentSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def _plate_fragment() -> fields.String:
    return fields.String(validate=validate.Length(max=payment_queries.PLATE_MAX_CHARS), metadata={"description": "A part of the plate"})


class PaymentQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only the payments of this lot"})
    plate = _plate_fragment()
    method = fields.String(validate=validate.OneOf(payment_queries.METHODS))
    status = fields.String(validate=validate.OneOf(payment_queries.STATUSES))
    session_uid = fields.String(validate=validate.Length(max=40), metadata={"description": "Only the payments of this stay"})
    since = InstantField(data_key="from", metadata={"description": "Created from this moment on (included): ISO 8601 with a UTC offset "
                                                                  "(encode + as %2B)", "example": EXAMPLE_INSTANT})
    until = InstantField(data_key="to", metadata={"description": "Created before this moment (excluded)"})
    page = PageNumber()
    per_page = PerPage(max_per_page=MAX_PER_PAGE, default=50)

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            raise ValidationError("Must be later than from.", field_name="to")


class RefundRequestSchema(Schema):
    amount_fen = BoundedInteger(min=-(10**9), max=10**9, required=True,
                                metadata={"description": "Fen to give back: from 1 up to what is left to refund"})
    reason = fields.String(required=True, validate=validate.Length(max=REASON_MAX_CHARS),
                           metadata={"description": "Why (kept with the refund and in the audit log; at most 200 characters)"})


class ArrearsSchema(Schema):
    uid = fields.String(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    plate = fields.String(dump_only=True)
    session_uid = fields.String(dump_only=True, allow_none=True, metadata={"description": "The stay that left unpaid"})
    amount_fen = fields.Integer(dump_only=True, metadata={"description": "What the stay left unpaid"})
    paid_fen = fields.Integer(dump_only=True, metadata={"description": "Paid back so far"})
    owed_fen = fields.Integer(dump_only=True, metadata={"description": "Still owed (0 once settled or waived)"})
    status = fields.String(dump_only=True, metadata={"description": "open | settled | waived"})
    reason = fields.String(dump_only=True)
    lane_id = fields.Integer(dump_only=True, allow_none=True)
    operator_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    settled_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    age_days = fields.Integer(dump_only=True, metadata={"description": "Whole days since it was recorded, in the lots' time zone"})
    age_band = fields.String(dump_only=True, metadata={"description": " | ".join(name for name, _, _ in arrears_queries.AGE_BANDS)})


class AgeBandSchema(Schema):
    band = fields.String(dump_only=True, metadata={"description": "days since recorded: 0-7 | 8-30 | 31-90 | >90"})
    count = fields.Integer(dump_only=True)
    owed_fen = fields.Integer(dump_only=True)


class ArrearsPageSchema(Schema):
    items = fields.List(fields.Nested(ArrearsSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
    owed_fen = fields.Integer(metadata={"description": "Still owed over every open row the filters select (all pages)"})
    ageing = fields.List(fields.Nested(AgeBandSchema), metadata={"description": "What is still owed, by age"})


class ArrearsQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only the arrears recorded at this lot"})
    plate = _plate_fragment()
    status = fields.String(load_default="open", validate=validate.OneOf([*arrears_queries.STATUSES, "all"]),
                           metadata={"description": "open (default) | settled | waived | all"})
    page = PageNumber()
    per_page = PerPage(max_per_page=MAX_PER_PAGE, default=50)
