"""Reading payments (收款记录): the list the console and the API show, filtered by lot, plate, method,
status, stay and time, and one payment with its refunds, the arrears it paid back and what is left to
refund. Only reads; refunds are ``parking.services.refunds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Arrears, ArrearsPayment, Payment, PaymentMethod, PaymentStatus, Refund
from .refunds import REFUNDABLE

PLATE_MAX_CHARS = 16
METHODS = tuple(m.value for m in PaymentMethod)
STATUSES = tuple(s.value for s in PaymentStatus)


def search(*, lot_ids: list[int] | None = None, lot_id: int | None = None, plate: str = "", method: str = "", status: str = "",
           session_uid: str = "", since: datetime | None = None, until: datetime | None = None) -> Select[tuple[Payment]]:
    """Payments, newest first; ``lot_ids`` the lots the caller sees (None: all), ``plate`` a fragment of it,
    ``since``/``until`` bound the time it was created (``since`` included, ``until`` not)."""
    query = select(Payment).order_by(Payment.created_at.desc(), Payment.id.desc())
    if lot_ids is not None:
        query = query.where(Payment.lot_id.in_(lot_ids))
    if lot_id is not None:
        query = query.where(Payment.lot_id == lot_id)
    if plate.strip():
        query = query.where(Payment.plate.contains(plate.strip().upper()[:PLATE_MAX_CHARS], autoescape=True))
    if method:
        query = query.where(Payment.method == PaymentMethod(method))
    if status:
        query = query.where(Payment.status == PaymentStatus(status))
    if session_uid:
        query = query.where(Payment.session_uid == session_uid)
    if since is not None:
        query = query.where(Payment.created_at >= since)
    if until is not None:
        query = query.where(Payment.created_at < until)
    return query


def find(db: Session, uid: str, lot_ids: list[int] | None = None) -> Payment | None:
    """The payment of ``uid`` if the caller may see its lot."""
    payment = db.scalar(select(Payment).where(Payment.uid == uid[:40]))
    if payment is None or (lot_ids is not None and payment.lot_id not in lot_ids):
        return None
    return payment


@dataclass(frozen=True)
class PaymentDetail:
    payment: Payment
    refunds: list[Refund]
    paid_back: list[dict[str, Any]]  # the arrears this payment paid back: arrears uid, plate, stay, fen
    refundable_fen: int  # what a manager may still give back (0 when its method cannot be refunded)

    @property
    def stay_fen(self) -> int:
        return self.payment.amount_fen - self.payment.arrears_fen


def detail(db: Session, payment: Payment) -> PaymentDetail:
    refunds = list(db.scalars(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)))
    paid_back = [
        {"arrears_uid": uid, "plate": plate, "session_uid": session_uid, "amount_fen": int(fen), "at": at}
        for uid, plate, session_uid, fen, at in db.execute(
            select(Arrears.uid, Arrears.plate, Arrears.session_uid, ArrearsPayment.amount_fen, ArrearsPayment.at)
            .join(Arrears, Arrears.id == ArrearsPayment.arrears_id).where(ArrearsPayment.payment_id == payment.id)
            .order_by(ArrearsPayment.id))
    ]
    refundable = payment.amount_fen - payment.refunded_fen
    if payment.status not in {PaymentStatus.PAID, PaymentStatus.REFUNDED} or payment.method not in REFUNDABLE:
        refundable = 0
    return PaymentDetail(payment, refunds, paid_back, max(0, refundable))
