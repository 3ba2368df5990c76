"""Refunds (退款): a manager gives back part or all of a paid payment, to the method it was paid with.

``refund`` checks everything first (a manager, a known and paid payment, an amount of 1 fen up to what is
left to refund, a reason, a way to pay it back), then books the refund in SQL before asking the provider:

1. one transaction raises ``Payment.refunded_fen`` (a conditional UPDATE, so two refunds together never
   pass the amount paid), writes the ``Refund`` row (pending) and, for each stay the money came from, a
   ``refund`` discount (``StayAdjustment``), so fee == paid + discounts + arrears still holds: the stay's
   own part first, then the arrears the payment paid back (``arrears_book.refund_parts``);
2. the provider refunds (``Provider.refund``; cash is handed back at the booth and booked in the
   refunding manager's open shift at that lot, so the shift's expected cash drops by it);
3. the provider's answer is kept: refunded or pending (``Refund.status``); a provider error or a failed
   refund undoes step 1 entirely, and the Refund row is kept as ``failed``.

The payment's status becomes ``refunded`` when all of it is given back. ``settle_refund`` applies the
provider's later word on a pending refund. Every refusal is a ``RefundError`` naming the field, with an
audit row; the ledger is then unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import (
    AdjustmentKind, Operator, Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus, Role, Shift, ShiftStatus, StayAdjustment,
)
from ..occupancy import OccupancyStore, new_uid
from ..payments.base import Provider, ProviderError, RefundRequest, RefundResult
from . import arrears_book, audit, ledger
from .ledger import mask

REASON_MAX_CHARS = 200
MANAGER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
REFUNDABLE = frozenset({PaymentMethod.CASH, PaymentMethod.WECHAT, PaymentMethod.ALIPAY})


class RefundError(ValueError):
    """A refund that was refused; ``field`` names what was wrong, ``code`` says what kind of refusal it is:
    not_found, not_paid, invalid, forbidden, no_shift, provider."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.code = field, message, code


def _refuse(db: Session, error: RefundError, *, payment_uid: str, operator_id: int | None, at: datetime, amount_fen: object) -> RefundError:
    db.rollback()
    audit.record(db, "refund.refused", operator_id=operator_id, target=payment_uid[:40], at=at, field=error.field,
                 reason=error.code, message=error.message[:200], amount_fen=amount_fen if isinstance(amount_fen, int) else None)
    db.commit()
    return error


def refund(db: Session, store: OccupancyStore, providers: Mapping[str, Provider], payment_uid: str, *, amount_fen: int, reason: str,
           operator_id: int, at: datetime) -> Refund:
    """Give ``amount_fen`` of payment ``payment_uid`` back to its payer; returns the Refund (refunded or pending)."""
    try:
        payment, shift, reason = _check(db, providers, payment_uid, amount_fen, reason, operator_id)
    except RefundError as error:
        raise _refuse(db, error, payment_uid=payment_uid, operator_id=operator_id, at=at, amount_fen=amount_fen) from None
    already = payment.refunded_fen
    whole = already + amount_fen == payment.amount_fen
    reserved = db.execute(
        update(Payment).where(Payment.id == payment.id, Payment.refunded_fen == already, Payment.status == PaymentStatus.PAID)
        .values(refunded_fen=already + amount_fen, status=PaymentStatus.REFUNDED if whole else PaymentStatus.PAID)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not reserved:  # another refund of this payment was booked between our read and our write
        error = RefundError("amount_fen", "the payment changed meanwhile (another refund?): look at it again", "not_paid")
        raise _refuse(db, error, payment_uid=payment_uid, operator_id=operator_id, at=at, amount_fen=amount_fen)
    row = Refund(uid=new_uid(), payment_id=payment.id, lot_id=payment.lot_id, session_uid=payment.session_uid, amount_fen=amount_fen,
                 reason=reason, status=RefundStatus.PENDING, operator_id=operator_id, shift_id=shift.id if shift else None, created_at=at)
    db.add(row)
    parts = arrears_book.refund_parts(db, payment, already, amount_fen)
    for n, (session_uid, lot_id, fen) in enumerate(parts, start=1):
        db.add(StayAdjustment(uid=f"{row.uid}-{n}", lot_id=lot_id, session_uid=session_uid, kind=AdjustmentKind.REFUND, amount_fen=fen,
                              reason=reason, operator_id=operator_id, shift_id=row.shift_id, at=at))
    db.commit()
    sessions = [uid for uid, _, _ in parts if uid]
    try:
        result = _provider_refund(providers, payment, row, at)
    except ProviderError as exc:
        _undo(db, row, at)
        error = RefundError("provider", exc.message, "provider")
        audit.record(db, "refund.failed", operator_id=operator_id, target=row.uid, at=at, payment=payment.uid,
                     amount_fen=amount_fen, error=exc.message[:200])
        db.commit()
        arrears_book.book_totals(db, sessions)
        db.commit()
        raise error from None
    if result.state == "failed":
        _undo(db, row, at)
        audit.record(db, "refund.failed", operator_id=operator_id, target=row.uid, at=at, payment=payment.uid,
                     amount_fen=amount_fen, error="the provider refused the refund")
        db.commit()
        arrears_book.book_totals(db, sessions)
        db.commit()
        raise RefundError("provider", "the provider refused the refund", "provider")
    row.status = RefundStatus(result.state)
    row.refund_id = result.refund_id[:64]
    row.refunded_at = (result.refunded_at or at) if result.state == "refunded" else None
    audit.record(db, "payment.refund", operator_id=operator_id, target=payment.uid, at=at, refund=row.uid, amount_fen=amount_fen,
                 method=payment.method.value, reason=reason, state=result.state, plate=mask(payment.plate),
                 shift=shift.uid if shift else None)
    arrears_book.book_totals(db, sessions)
    db.commit()
    db.refresh(payment)
    ledger.journal(store, payment.lot_id, "refunded", at, plate=payment.plate, refund=row.uid, payment=payment.uid,
                   amount_fen=amount_fen, method=payment.method.value, state=row.status.value, operator=operator_id)
    return row


def _check(db: Session, providers: Mapping[str, Provider], payment_uid: str, amount_fen: object, reason: str,
           operator_id: int) -> tuple[Payment, Shift | None, str]:
    operator = db.get(Operator, operator_id) if isinstance(operator_id, int) else None
    if operator is None or not operator.active or operator.role not in MANAGER_ROLES:
        raise RefundError("operator_id", "only a manager may refund a payment", "forbidden")
    payment = db.scalar(select(Payment).where(Payment.uid == (payment_uid or "")[:40]))
    if payment is None:
        raise RefundError("payment", f"no payment {payment_uid[:40]!r}", "not_found")
    if payment.status not in {PaymentStatus.PAID, PaymentStatus.REFUNDED}:
        raise RefundError("payment", f"the payment is {payment.status.value}, not paid: nothing can be refunded", "not_paid")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise RefundError("amount_fen", f"{amount_fen!r}: expected a positive whole number of fen")
    left = payment.amount_fen - payment.refunded_fen
    if amount_fen > left:
        raise RefundError("amount_fen", f"{amount_fen / 100:.2f} yuan is more than the {left / 100:.2f} yuan left to refund")
    reason = " ".join((reason or "").split())
    if not reason:
        raise RefundError("reason", "a reason is required")
    if len(reason) > REASON_MAX_CHARS:
        raise RefundError("reason", f"{len(reason)} characters; at most {REASON_MAX_CHARS}")
    if payment.method not in REFUNDABLE:
        raise RefundError("payment", f"a {payment.method.value} payment cannot be refunded to its method")
    if payment.method != PaymentMethod.CASH and payment.method.value not in providers:
        raise RefundError("payment", f"no {payment.method.value} provider is configured", "provider")
    shift = db.scalar(select(Shift).where(Shift.operator_id == operator.id, Shift.status == ShiftStatus.OPEN, Shift.lot_id == payment.lot_id))
    if payment.method == PaymentMethod.CASH and shift is None:
        raise RefundError("shift", "cash is handed back at the booth: open a shift at this payment's lot first", "no_shift")
    return payment, shift, reason


def _provider_refund(providers: Mapping[str, Provider], payment: Payment, row: Refund, at: datetime) -> RefundResult:
    provider = providers.get(payment.method.value)
    if provider is None:  # cash without a provider object: handed back by hand, now
        return RefundResult(row.uid, "refunded", refunded_at=at)
    return provider.refund(RefundRequest(
        out_refund_no=row.uid, out_trade_no=payment.uid, transaction_id=payment.transaction_id or "",
        refund_fen=row.amount_fen, total_fen=payment.amount_fen, reason=row.reason,
    ))


def _undo(db: Session, row: Refund, at: datetime) -> None:
    """Take a refund that did not happen out of the ledger: the amount, the payment's status, the discounts."""
    db.execute(update(Payment).where(Payment.id == row.payment_id)
               .values(refunded_fen=Payment.refunded_fen - row.amount_fen, status=PaymentStatus.PAID)
               .execution_options(synchronize_session=False))
    db.execute(delete(StayAdjustment).where(StayAdjustment.uid.like(f"{row.uid}-%"), StayAdjustment.kind == AdjustmentKind.REFUND)
               .execution_options(synchronize_session=False))
    row.status = RefundStatus.FAILED
    db.flush()
    db.expire_all()  # the payment and the stays' rows were changed by the statements above


def settle_refund(db: Session, refund_uid: str, *, state: str, at: datetime, refund_id: str = "") -> Refund:
    """The provider's later word on a pending refund: refunded (kept), or failed (taken out of the ledger)."""
    row = db.scalar(select(Refund).where(Refund.uid == refund_uid))
    if row is None:
        raise RefundError("refund", f"no refund {refund_uid[:40]!r}", "not_found")
    if state not in {"refunded", "failed"}:
        raise RefundError("state", f"{state!r} is not refunded or failed")
    if row.status != RefundStatus.PENDING:
        return row
    sessions = [uid for (uid,) in db.execute(select(StayAdjustment.session_uid).where(StayAdjustment.uid.like(f"{row.uid}-%"))) if uid]
    if state == "failed":
        _undo(db, row, at)
    else:
        row.status, row.refunded_at = RefundStatus.REFUNDED, at
        row.refund_id = (refund_id or row.refund_id)[:64]
    audit.record(db, f"refund.{state}", operator_id=None, target=row.uid, at=at, amount_fen=row.amount_fen)
    db.commit()
    arrears_book.book_totals(db, sessions)
    db.commit()
    db.refresh(row)
    return row
