"""The ledger: payments, refunds, discounts, arrears, shifts, merchants' coupons and campaigns, and the
daily comparison of each payment platform's bill with it (``BillReconciliation``).

Every amount is integer fen. For every stay that has ended the identity

    ParkingSession.fee_fen == paid (payments paid, less refunds) + discounts + arrears

holds, where a refund is booked twice: it lowers what was paid and adds a ``refund`` adjustment, so the
fee of the stay (what it was priced at) never changes after the car left. Arrears count what is still
owed: paying them back (``ArrearsPayment``) moves fen from arrears to paid, a waiver moves them to
discounts (a ``waiver`` adjustment). ``parking.services.ledger`` is
the only writer of these tables.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDocument, str_enum, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class PaymentMethod(StrEnum):
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    COUPON = "coupon"  # a merchant's coupon worth money, booked as a payment by the merchant
    PREPAID = "prepaid"  # a pass or prepaid balance
    QR = "qr"  # recorded before providers were told apart: a QR payment of either platform
    WAIVED = "waived"  # recorded before free releases were adjustments


class PaymentStatus(StrEnum):
    PENDING = "pending"  # an order placed with a provider, not paid yet
    PAID = "paid"
    FAILED = "failed"
    CLOSED = "closed"  # never paid, and now can no longer be
    REFUNDED = "refunded"  # paid, then refunded whole


ONLINE_METHODS = (PaymentMethod.WECHAT, PaymentMethod.ALIPAY)


class Payment(Base):
    """Money for one stay. ``uid`` is our order number (out_trade_no); a provider's ``transaction_id`` is
    unique per method, so a payment is recorded once however often it is called back or retried."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refunded_within_amount"),
        CheckConstraint("arrears_fen >= 0 AND arrears_fen <= amount_fen", name="arrears_within_amount"),
        UniqueConstraint("method", "transaction_id", name="uq_payment_method_transaction"),
        Index("ix_payment_lot_paid_at", "lot_id", "paid_at"),
        Index("ix_payment_status_created", "status", "created_at"),
        # The revenue report (money received by lot and day, read from the index alone) and the daily reconciliation.
        Index("ix_payment_received_lot_paid", "lot_id", "paid_at",
              postgresql_include=["lane_id", "operator_id", "method", "amount_fen", "arrears_fen"],
              postgresql_where=text("status IN ('paid', 'refunded')"), sqlite_where=text("status IN ('paid', 'refunded')")),
        Index("ix_payment_method_paid_at", "method", "paid_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    session_uid: Mapped[str | None] = mapped_column(String(40), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int]
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.PAID)
    purpose: Mapped[str] = mapped_column(String(16), default="stay")  # stay | arrears
    scene: Mapped[str] = mapped_column(String(16), default="")  # booth | exit_qr | prepay | phone | lane
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="RESTRICT"), index=True)
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"))
    quote: Mapped[dict[str, Any] | None]  # the quote it settled, lines kept, as Quote.as_json gives it
    quote_at: Mapped[datetime | None]  # the exit moment the quote priced
    cash_given_fen: Mapped[int | None]  # cash handed over at the booth; change = given - amount
    provider_order_id: Mapped[str] = mapped_column(String(64), default="")
    qr_payload: Mapped[str] = mapped_column(String(500), default="")  # what the order's QR encodes
    pay_url: Mapped[str] = mapped_column(String(2000), default="")  # the provider's page for a phone browser
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    payer: Mapped[str] = mapped_column(String(64), default="")  # masked
    reference: Mapped[str] = mapped_column(String(100), default="")
    refunded_fen: Mapped[int] = mapped_column(default=0)
    # The part of the amount that pays back arrears of the plate (the rest is the stay's); once paid, what
    # was booked to ``ArrearsPayment`` rows (``parking.services.arrears_book``).
    arrears_fen: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]  # when the live store learnt of it (the exit may open)


class RefundStatus(StrEnum):
    PENDING = "pending"
    REFUNDED = "refunded"
    FAILED = "failed"


class Refund(Base):
    """Money given back for a payment, by a manager, to the payment's own method."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)  # out_refund_no
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    session_uid: Mapped[str | None] = mapped_column(String(40), index=True)
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, "refund_status"))
    refund_id: Mapped[str] = mapped_column(String(64), default="")
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refunded_at: Mapped[datetime | None]


class AdjustmentKind(StrEnum):
    COUPON = "coupon"  # a merchant coupon taken off the fee
    CAMPAIGN = "campaign"  # a lot-wide campaign (公益免费停车)
    FREE_RELEASE = "free_release"  # an attendant let the car out free, with a reason (免费放行)
    REFUND = "refund"  # money given back after the stay: the refunded part is a discount
    WAIVER = "waiver"  # arrears written off by a manager


class StayAdjustment(Base):
    """A discount on a stay's fee, in fen (positive: what the driver did not have to pay)."""

    __tablename__ = "stay_adjustment"
    __table_args__ = (Index("ix_stay_adjustment_lot_at", "lot_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    session_uid: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[AdjustmentKind] = mapped_column(str_enum(AdjustmentKind, "adjustment_kind"))
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupon.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="RESTRICT"), index=True)
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ArrearsStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"
    WAIVED = "waived"


class Arrears(Base):
    """What a car owed when it left without paying (欠费, 逃费), kept on its plate until paid back."""

    __tablename__ = "arrears"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="paid_within_amount"),
        Index("ix_arrears_plate_status", "plate", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    session_uid: Mapped[str | None] = mapped_column(String(40), unique=True)
    amount_fen: Mapped[int]
    paid_fen: Mapped[int] = mapped_column(default=0)
    status: Mapped[ArrearsStatus] = mapped_column(str_enum(ArrearsStatus, "arrears_status"), default=ArrearsStatus.OPEN)
    reason: Mapped[str] = mapped_column(String(200), default="")
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]


class ArrearsPayment(Base):
    """The part of one payment that paid back one arrears row: each fen of a payment is booked once."""

    __tablename__ = "arrears_payment"
    __table_args__ = (
        UniqueConstraint("arrears_id", "payment_id", name="uq_arrears_payment_arrears_payment"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    arrears_id: Mapped[int] = mapped_column(ForeignKey("arrears.id", ondelete="RESTRICT"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int]
    at: Mapped[datetime]


class ShiftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # cash counted, waiting for a manager
    CONFIRMED = "confirmed"


class Shift(Base):
    """An attendant's shift at a booth (交班). One open shift per operator; a booth payment belongs to
    exactly the shift open when it was taken."""

    __tablename__ = "shift"
    __table_args__ = (
        Index("uq_shift_open_operator", "operator_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        CheckConstraint("counted_cash_fen IS NULL OR counted_cash_fen >= 0", name="counted_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="RESTRICT"))
    status: Mapped[ShiftStatus] = mapped_column(str_enum(ShiftStatus, "shift_status"), default=ShiftStatus.OPEN)
    opened_at: Mapped[datetime]
    opening_float_fen: Mapped[int] = mapped_column(default=0)  # change money in the drawer at the start
    closed_at: Mapped[datetime | None]
    expected_cash_fen: Mapped[int | None]
    counted_cash_fen: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None]  # the totals frozen at closing

    @property
    def difference_fen(self) -> int | None:
        if self.counted_cash_fen is None or self.expected_cash_fen is None:
            return None
        return self.counted_cash_fen - self.expected_cash_fen


class Merchant(Base):
    """A shop or office near a lot that gives its customers parking coupons (商户优惠)."""

    __tablename__ = "merchant"
    __table_args__ = (UniqueConstraint("lot_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(100), default="")
    kinds: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"minutes": max value, "amount": ..., ...}
    monthly_quota: Mapped[int] = mapped_column(default=0)  # coupons a month, 0: no limit
    stackable: Mapped[bool] = mapped_column(default=False)  # may join another merchant's coupon on a stay
    active: Mapped[bool] = mapped_column(default=True)
    token_hash: Mapped[str] = mapped_column(String(64), default="")  # the merchant page's key, hashed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CouponStatus(StrEnum):
    ISSUED = "issued"
    USED = "used"
    VOID = "void"


class Coupon(Base):
    """One coupon: ``code`` is what its one-time QR carries; ``plate`` binds it when given to a car."""

    __tablename__ = "coupon"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index("ix_coupon_merchant_issued", "merchant_id", "issued_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))  # minutes | amount | percent | free
    value: Mapped[int] = mapped_column(default=0)
    plate: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus, "coupon_status"), default=CouponStatus.ISSUED)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime]
    session_uid: Mapped[str | None] = mapped_column(String(40), index=True)
    applied_at: Mapped[datetime | None]  # when it was given to (or claimed onto) the stay ``session_uid``
    used_at: Mapped[datetime | None]


class Campaign(Base):
    """A lot-wide offer for stays that begin within its period (e.g. 公益免费停车 on a public holiday)."""

    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # minutes | amount | percent | free
    value: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class StayTotals:
    paid_fen: int  # payments paid, less what was refunded
    discount_fen: int
    arrears_fen: int


def stay_totals(db: "Session", session_uid: str) -> StayTotals:
    """What the ledger holds for one stay: paid (its part of payments, and its arrears paid back, less
    refunds), discounts (refunds and waivers included) and arrears still owed."""
    paid = db.scalar(select(func.coalesce(func.sum(Payment.amount_fen - Payment.arrears_fen), 0)).where(
        Payment.session_uid == session_uid, Payment.purpose == "stay",
        Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED])))
    paid_back = db.scalar(select(func.coalesce(func.sum(Arrears.paid_fen), 0)).where(Arrears.session_uid == session_uid))
    refunded = db.scalar(select(func.coalesce(func.sum(StayAdjustment.amount_fen), 0)).where(
        StayAdjustment.session_uid == session_uid, StayAdjustment.kind == AdjustmentKind.REFUND))
    discount = db.scalar(select(func.coalesce(func.sum(StayAdjustment.amount_fen), 0)).where(StayAdjustment.session_uid == session_uid))
    arrears = db.scalar(select(func.coalesce(func.sum(Arrears.amount_fen - Arrears.paid_fen), 0)).where(
        Arrears.session_uid == session_uid, Arrears.status == ArrearsStatus.OPEN))
    return StayTotals(int(paid or 0) + int(paid_back or 0) - int(refunded or 0), int(discount or 0), int(arrears or 0))


class ReconciliationStatus(StrEnum):
    CLEAN = "clean"  # the bill and the ledger agree
    DIFFERENCES = "differences"
    FAILED = "failed"  # the bill could not be had (``error`` says why); tried again later


class BillReconciliation(Base):
    """A payment platform's bill of one day compared with the ledger (对账), one row per day and method,
    replaced when the day is compared again. ``differences`` lists every line that does not agree
    (``parking.services.reconciliation``)."""

    __tablename__ = "bill_reconciliation"
    __table_args__ = (UniqueConstraint("day", "method"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    status: Mapped[ReconciliationStatus] = mapped_column(str_enum(ReconciliationStatus, "reconciliation_status"))
    bill_payments: Mapped[int] = mapped_column(default=0)
    bill_payment_fen: Mapped[int] = mapped_column(default=0)
    bill_refunds: Mapped[int] = mapped_column(default=0)
    bill_refund_fen: Mapped[int] = mapped_column(default=0)
    ledger_payments: Mapped[int] = mapped_column(default=0)
    ledger_payment_fen: Mapped[int] = mapped_column(default=0)
    ledger_refunds: Mapped[int] = mapped_column(default=0)
    ledger_refund_fen: Mapped[int] = mapped_column(default=0)
    differences: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    error: Mapped[str] = mapped_column(String(500), default="")
    checked_at: Mapped[datetime]


class RevenueDay(Base):
    """The revenue report's grouped rows (``parking.services.revenue_rows``) of one lot's past day, kept on
    PostgreSQL by ``parking.services.revenue_days`` so that long periods are read, not added up again."""

    __tablename__ = "revenue_day"
    __table_args__ = (Index("ix_revenue_day_lot_day", "lot_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"))
    day: Mapped[date]
    source: Mapped[str] = mapped_column(String(16))  # stays | payments | discounts | arrears | refunds
    lane_id: Mapped[int | None]  # no foreign keys: history outlives a lane or an operator
    operator_id: Mapped[int | None]
    code: Mapped[str] = mapped_column(String(16), default="")  # the payment method or the discount kind
    amount_fen: Mapped[int]
    part_fen: Mapped[int] = mapped_column(default=0)  # of payments: the part that paid arrears back
    count: Mapped[int] = mapped_column(default=0)


class RevenueDaySummed(Base):
    """That a lot's day (in time zone ``tz``) is summed in ``revenue_day``."""

    __tablename__ = "revenue_day_summed"
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    tz: Mapped[str] = mapped_column(String(64))
    summed_at: Mapped[datetime]


class RevenueChange(Base):
    """A lot's UTC hour in which a stay or money changed, noted by database triggers (PostgreSQL, migration
    0007) in the transaction that changed it: the summed day (or days) it falls on is summed again."""

    __tablename__ = "revenue_change"
    __table_args__ = (Index("ix_revenue_change_lot_hour", "lot_id", "hour"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int]
    hour: Mapped[datetime]  # the changed moment, down to its hour (UTC)
