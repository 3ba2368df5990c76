"""Arrears (欠费, 逃费): what a car owes after leaving without paying, kept on its plate until it is paid
back or written off.

- ``record_arrears``: a stay ended unpaid (a hand release "left unpaid"); one row per stay, booked on the
  stay's totals, and every lane learns at once what the plate owes (its next entry shows or refuses it,
  its next exit asks for it with the new fee). An exit decided offline with a fee due becomes arrears
  when it reaches SQL (``parking.occupancy.recorder``).
- ``pay_arrears_cash``: paid back in cash at a booth, in the attendant's open shift, without a stay.
- ``place_arrears_order``: an order for what the plate owes (purpose ``arrears``), for the phone pages;
  the ledger books it to the arrears when the provider confirms it (``ledger.confirm``).
- ``waive_arrears``: a manager writes the rest of one arrears row off, with a reason; a ``waiver``
  discount keeps the stay's identity (fee == paid + discounts + arrears).

Back-payments settle the plate's open arrears oldest first (``arrears_book``). Every change is audited and
committed with its audit row; refusals are ``ArrearsError`` naming the field.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    AdjustmentKind, Arrears, ArrearsStatus, Lot, Operator, Payment, PaymentMethod, PaymentStatus, Role, Shift, ShiftStatus,
    StayAdjustment,
)
from ..occupancy import OccupancyStore, new_uid
from ..payments.base import OrderRequest, Provider, ProviderError
from ..plates import Plate, PlateError, parse
from . import arrears_book, audit, ledger
from .ledger import CASH_MAX_FEN, ORDER_MINUTES, mask

REASON_MAX_CHARS = 200
MANAGER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


class ArrearsError(ValueError):
    """An arrears action that cannot be done; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _plate(text: str) -> str:
    try:
        parsed = parse(text or "")
    except PlateError as exc:
        raise ArrearsError("plate", str(exc)) from None
    if not isinstance(parsed, Plate):
        raise ArrearsError("plate", f"{text!r} is not a licence plate")
    return parsed.text


def _fen(field: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ArrearsError(field, f"{value!r}: expected a positive whole number of fen")
    return value


def _reason(value: str, *, required: bool) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ArrearsError("reason", "a reason is required")
    if len(value) > REASON_MAX_CHARS:
        raise ArrearsError("reason", f"{len(value)} characters; at most {REASON_MAX_CHARS}")
    return value


def record_arrears(db: Session, store: OccupancyStore, *, lot_id: int, plate: str, session_uid: str | None, amount_fen: int,
                   reason: str, lane_id: int | None, operator_id: int | None, shift_id: int | None, at: datetime) -> Arrears:
    """What the stay ``session_uid`` left unpaid (its own part: earlier arrears of the plate stay as they
    are), owed on ``plate``. Recorded once per stay: a second call returns the first row."""
    plate, amount_fen, reason = _plate(plate), _fen("amount_fen", amount_fen), _reason(reason, required=False)
    if db.get(Lot, lot_id) is None:
        raise ArrearsError("lot_id", f"no lot {lot_id}")
    if session_uid:
        existing = db.scalar(select(Arrears).where(Arrears.session_uid == session_uid))
        if existing is not None:
            return existing
    row = Arrears(uid=new_uid(), lot_id=lot_id, plate=plate, session_uid=session_uid or None, amount_fen=amount_fen,
                  reason=reason or "未缴费离场", lane_id=lane_id, operator_id=operator_id, shift_id=shift_id, created_at=at)
    db.add(row)
    audit.record(db, "arrears.record", operator_id=operator_id, target=row.uid, at=at, lot_id=lot_id, plate=mask(plate),
                 amount_fen=amount_fen, session=session_uid or "", reason=row.reason)
    try:
        db.commit()
    except IntegrityError:  # the same stay's arrears recorded by another caller just now
        db.rollback()
        found = db.scalar(select(Arrears).where(Arrears.session_uid == session_uid))
        if found is None:
            raise
        return found
    arrears_book.publish(db, store, plate, [session_uid] if session_uid else [])
    ledger.journal(store, lot_id, "arrears_recorded", at, plate=plate, arrears=row.uid, amount_fen=amount_fen,
                   session=session_uid or "", lane=lane_id, reason=row.reason)
    return row


def pay_arrears_cash(db: Session, store: OccupancyStore, *, plate: str, given_fen: int, shift: Shift, at: datetime,
                     lane_id: int | None = None) -> tuple[Payment, int]:
    """Cash handed over at a booth for everything ``plate`` owes; returns the payment and the change."""
    plate = _plate(plate)
    if not isinstance(given_fen, int) or isinstance(given_fen, bool) or given_fen < 0:
        raise ArrearsError("given_fen", "the cash given must be a whole number of fen")
    if shift.status != ShiftStatus.OPEN:
        raise ArrearsError("shift", "cash is taken only in an open shift (开班 first)")
    owed = arrears_book.owed_fen(db, plate)
    if owed <= 0:
        raise ArrearsError("plate", f"{plate} owes nothing")
    if given_fen < owed:
        raise ArrearsError("given_fen", f"{given_fen / 100:.2f} yuan given is less than the {owed / 100:.2f} yuan owed")
    if given_fen > CASH_MAX_FEN:
        raise ArrearsError("given_fen", f"at most {CASH_MAX_FEN // 100} yuan can be handed over at once")
    payment = Payment(
        uid=new_uid(), lot_id=shift.lot_id, session_uid=None, plate=plate, amount_fen=owed, arrears_fen=owed,
        method=PaymentMethod.CASH, status=PaymentStatus.PAID, purpose="arrears", scene="booth", operator_id=shift.operator_id,
        shift_id=shift.id, lane_id=lane_id, cash_given_fen=given_fen, created_at=at, paid_at=at, settled_at=at,
    )
    db.add(payment)
    db.flush()
    paid_back = arrears_book.book(db, payment, at)
    audit.record(db, "arrears.pay_cash", operator_id=shift.operator_id, target=payment.uid, at=at, plate=mask(plate),
                 amount_fen=owed, given_fen=given_fen, change_fen=given_fen - owed, shift=shift.uid)
    db.commit()
    arrears_book.publish(db, store, plate, paid_back)
    ledger.journal(store, shift.lot_id, "arrears_paid", at, plate=plate, payment=payment.uid, amount_fen=owed, method="cash",
                   lane=lane_id)
    return payment, given_fen - owed


def place_arrears_order(db: Session, store: OccupancyStore, provider: Provider, *, plate: str, lot_id: int, at: datetime,
                        scene: str = "phone", client_ip: str = "127.0.0.1", notify_url: str = "",
                        minutes: int = ORDER_MINUTES) -> Payment:
    """An order with ``provider`` for everything ``plate`` owes (purpose ``arrears``); the same pending
    order is returned while it can still be paid. Raises ArrearsError or ProviderError."""
    plate = _plate(plate)
    if scene not in {"qr", "phone"}:
        raise ArrearsError("scene", f"{scene!r} is not qr or phone")
    lot = db.get(Lot, lot_id)
    if lot is None:
        raise ArrearsError("lot_id", f"no lot {lot_id}")
    owed = arrears_book.owed_fen(db, plate)
    if owed <= 0:
        raise ArrearsError("plate", f"{plate} owes nothing")
    method = PaymentMethod(provider.method)
    existing = db.scalar(
        select(Payment).where(Payment.plate == plate, Payment.purpose == "arrears", Payment.method == method,
                              Payment.status == PaymentStatus.PENDING, Payment.amount_fen == owed, Payment.expires_at > at)
        .order_by(Payment.id.desc()).limit(1))
    if existing is not None and (existing.qr_payload if scene == "qr" else existing.pay_url):
        return existing
    payment = Payment(
        uid=new_uid(), lot_id=lot.id, session_uid=None, plate=plate, amount_fen=owed, arrears_fen=owed, method=method,
        status=PaymentStatus.PENDING, purpose="arrears", scene=scene, created_at=at, expires_at=at + timedelta(minutes=minutes),
    )
    db.add(payment)
    db.commit()
    try:
        order = provider.create_order(OrderRequest(
            out_trade_no=payment.uid, amount_fen=owed, description=f"补缴欠费 {mask(plate)} {lot.name}".strip(), scene=scene,  # type: ignore[arg-type]
            expires_at=payment.expires_at, client_ip=client_ip, notify_url=notify_url,
        ))
    except ProviderError as exc:
        payment.status, payment.closed_at, payment.reference = PaymentStatus.FAILED, at, exc.message[:100]
        audit.record(db, "payment.order_failed", operator_id=None, target=payment.uid, at=at, method=method.value,
                     amount_fen=owed, error=exc.message, purpose="arrears")
        db.commit()
        raise
    payment.qr_payload, payment.pay_url, payment.provider_order_id = order.qr_payload, order.pay_url, order.provider_order_id
    db.commit()
    return payment


def waive_arrears(db: Session, store: OccupancyStore, arrears_uid: str, *, reason: str, operator_id: int, at: datetime) -> Arrears:
    """A manager writes off what is left of one arrears row (``waiver``), with a reason."""
    operator = db.get(Operator, operator_id)
    if operator is None or not operator.active or operator.role not in MANAGER_ROLES:
        raise ArrearsError("operator_id", "only a manager may write arrears off")
    reason = _reason(reason, required=True)
    row = db.scalar(select(Arrears).where(Arrears.uid == arrears_uid))
    if row is None:
        raise ArrearsError("arrears", f"no arrears {arrears_uid[:40]!r}")
    if row.status != ArrearsStatus.OPEN:
        raise ArrearsError("arrears", f"these arrears are already {row.status.value}")
    rest = row.amount_fen - row.paid_fen
    waived = db.execute(
        update(Arrears).where(Arrears.id == row.id, Arrears.status == ArrearsStatus.OPEN, Arrears.paid_fen == row.paid_fen)
        .values(status=ArrearsStatus.WAIVED, settled_at=at).execution_options(synchronize_session=False)
    ).rowcount
    if not waived:  # paid back at this very moment
        db.rollback()
        raise ArrearsError("arrears", "these arrears changed meanwhile (paid back?): look at them again")
    db.add(StayAdjustment(uid=new_uid(), lot_id=row.lot_id, session_uid=row.session_uid, kind=AdjustmentKind.WAIVER, amount_fen=rest,
                          reason=reason, operator_id=operator_id, at=at))
    audit.record(db, "arrears.waive", operator_id=operator_id, target=row.uid, at=at, plate=mask(row.plate), amount_fen=rest,
                 reason=reason, lot_id=row.lot_id)
    db.commit()
    db.refresh(row)
    arrears_book.publish(db, store, row.plate, [row.session_uid] if row.session_uid else [])
    ledger.journal(store, row.lot_id, "arrears_waived", at, plate=row.plate, arrears=row.uid, amount_fen=rest, reason=reason,
                   operator=operator_id)
    return row
