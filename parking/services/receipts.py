"""A stay's receipt (小票) as a value: what the public e-receipt page and the booth's printed receipt show.

Built from the ledger (payments with the quote each settled, refunds, discounts, arrears) and the stay
(SQL once the worker recorded it, the live session while the car is inside). Every line of every quote
that was paid is kept, so the receipt explains the amount line by line, as the lane and the console
priced it. Amounts are fen; times are aware datetimes, shown in ``tz`` (the lot's time zone) by whoever
renders them. ``plate`` is whole (the booth's printout); public pages show ``plate_masked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Lot, ParkingSession, Payment, PaymentStatus, Refund, RefundStatus, StayAdjustment
from ..models.money import AdjustmentKind, Arrears
from .ledger import mask
from .pay_links import PayLinks

METHOD_WORDS = {
    "cash": "现金", "wechat": "微信支付", "alipay": "支付宝", "coupon": "商户券", "prepaid": "预付",
    "qr": "扫码支付", "waived": "免费放行",
}
DISCOUNT_WORDS = {
    "coupon": "商户优惠", "campaign": "活动优惠", "free_release": "免费放行", "refund": "退款", "waiver": "欠费减免",
}
REFUND_STATE_WORDS = {"pending": "退款中", "refunded": "已退款", "failed": "退款失败"}


class LiveSessions(Protocol):
    def open_session(self, lot_id: int, plate: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a quote that was paid: the rule in words, its period, and its amount."""

    rule: str
    start: datetime
    end: datetime
    amount_fen: int
    units: int = 0


@dataclass(frozen=True)
class ReceiptPayment:
    method: str
    method_words: str
    at: datetime
    amount_fen: int
    given_fen: int | None = None  # cash handed over
    change_fen: int | None = None  # cash given back
    refunded_fen: int = 0
    uid: str = ""


@dataclass(frozen=True)
class ReceiptDiscount:
    kind: str
    words: str
    reason: str
    amount_fen: int
    at: datetime


@dataclass(frozen=True)
class ReceiptRefund:
    method_words: str
    amount_fen: int
    reason: str
    state: str
    state_words: str
    at: datetime


@dataclass(frozen=True)
class Receipt:
    session_uid: str
    lot_id: int
    lot_name: str
    tz: ZoneInfo
    plate: str
    plate_masked: str
    entry_at: datetime | None
    exit_at: datetime | None  # None while the car is inside (paid ahead)
    duration_minutes: int | None
    lines: tuple[ReceiptLine, ...]
    discounts: tuple[ReceiptDiscount, ...]
    payments: tuple[ReceiptPayment, ...]
    refunds: tuple[ReceiptRefund, ...]
    fee_fen: int  # what the stay was priced at (so far, while inside)
    paid_fen: int  # paid, less what was refunded
    discount_fen: int  # coupons, campaigns, free releases (refunds are listed on their own)
    refunded_fen: int
    arrears_fen: int  # left unpaid, owed on the plate
    code: str
    link: str  # the e-receipt's address (/r/<code>), absolute when a base URL was given

    @property
    def inside(self) -> bool:
        return self.exit_at is None

    @property
    def received_fen(self) -> int:
        """Every payment's amount before refunds."""
        return sum(p.amount_fen for p in self.payments)


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _lines(quote: Mapping[str, Any] | None) -> list[ReceiptLine]:
    lines = []
    for line in (quote or {}).get("lines", ()):
        try:
            lines.append(ReceiptLine(rule=str(line.get("rule", "")), start=datetime.fromisoformat(line["start"]),
                                     end=datetime.fromisoformat(line["end"]), amount_fen=int(line["amount_fen"]),
                                     units=int(line.get("units", 0))))
        except (KeyError, TypeError, ValueError):
            continue  # a quote stored before lines were kept whole: the payment itself still shows its amount
    return lines


def _payment(p: Payment) -> ReceiptPayment:
    change = p.cash_given_fen - p.amount_fen if p.cash_given_fen is not None else None
    return ReceiptPayment(method=p.method.value, method_words=METHOD_WORDS.get(p.method.value, p.method.value),
                          at=p.paid_at or p.created_at, amount_fen=p.amount_fen, given_fen=p.cash_given_fen,
                          change_fen=change, refunded_fen=p.refunded_fen, uid=p.uid)


def stay_receipt(db: Session, session_uid: str, *, links: PayLinks, default_tz: str, base_url: str = "",
                 live: LiveSessions | None = None) -> Receipt | None:
    """The receipt of the stay ``session_uid``, or None when neither SQL nor the ledger knows it."""
    if not session_uid:
        return None
    row = db.scalar(select(ParkingSession).where(ParkingSession.uid == session_uid))
    payments = list(db.scalars(select(Payment).where(
        Payment.session_uid == session_uid, Payment.purpose == "stay",
        Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED])).order_by(Payment.paid_at, Payment.id)))
    if row is None and not payments:
        return None
    lot_id = row.lot_id if row is not None else payments[0].lot_id
    plate = row.plate if row is not None else payments[0].plate
    lot = db.scalar(select(Lot).where(Lot.id == lot_id).options(selectinload(Lot.site)))
    tz = ZoneInfo((lot.timezone or lot.site.timezone if lot else None) or default_tz)

    entry_at: datetime | None = row.entry_at if row is not None else None
    exit_at: datetime | None = row.exit_at if row is not None else None
    if row is None or row.exit_at is None:
        session = live.open_session(lot_id, plate) if live is not None else None
        if session is not None and session.get("uid") == session_uid:
            entry_at = datetime.fromisoformat(session["entry_at"])

    adjustments = list(db.scalars(select(StayAdjustment).where(StayAdjustment.session_uid == session_uid)
                                  .order_by(StayAdjustment.at, StayAdjustment.id)))
    discounts = tuple(ReceiptDiscount(kind=a.kind.value, words=DISCOUNT_WORDS.get(a.kind.value, a.kind.value), reason=a.reason,
                                      amount_fen=a.amount_fen, at=a.at)
                      for a in adjustments if a.kind != AdjustmentKind.REFUND)
    by_id = {p.id: p for p in payments}
    refunds = tuple(
        ReceiptRefund(method_words=METHOD_WORDS.get(by_id[r.payment_id].method.value, "") if r.payment_id in by_id else "",
                      amount_fen=r.amount_fen, reason=r.reason, state=r.status.value,
                      state_words=REFUND_STATE_WORDS.get(r.status.value, r.status.value), at=r.refunded_at or r.created_at)
        for r in db.scalars(select(Refund).where(Refund.session_uid == session_uid).order_by(Refund.created_at, Refund.id)))
    arrears = sum(a.amount_fen - a.paid_fen for a in db.scalars(select(Arrears).where(Arrears.session_uid == session_uid)))

    paid = sum(p.amount_fen - p.refunded_fen for p in payments)
    discount = sum(d.amount_fen for d in discounts)
    refunded = sum(r.amount_fen for r in refunds if r.state == RefundStatus.REFUNDED.value)
    if row is not None and row.exit_at is not None:
        fee = row.fee_fen
    else:  # inside: what was settled so far
        fee = sum(p.amount_fen for p in payments) + discount
    lines = tuple(line for p in payments for line in _lines(p.quote))
    if entry_at is None and lines:  # not recorded yet and already gone: a quote's lines begin at the entry it priced
        entry_at = min(line.start for line in lines)
    end = exit_at or (max(p.quote_at or p.paid_at or p.created_at for p in payments) if payments else None)
    code = links.receipt_code(session_uid)
    return Receipt(
        session_uid=session_uid, lot_id=lot_id, lot_name=lot.name if lot else "", tz=tz, plate=plate,
        plate_masked=mask(plate), entry_at=entry_at, exit_at=exit_at,
        duration_minutes=_minute(end) - _minute(entry_at) if entry_at is not None and end is not None else None,
        lines=lines, discounts=discounts, payments=tuple(_payment(p) for p in payments), refunds=refunds,
        fee_fen=fee, paid_fen=paid, discount_fen=discount, refunded_fen=refunded, arrears_fen=arrears,
        code=code, link=f"{base_url.rstrip('/')}/r/{code}",
    )
