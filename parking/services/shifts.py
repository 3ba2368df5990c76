"""Shift handover (交班): an attendant opens a shift at a booth, takes money in it, counts the cash at the
end and a manager confirms.

- ``open_shift``: one open shift per operator (a partial unique index keeps it so under a race too).
- ``current_shift``: the operator's open shift, where every booth payment of theirs is booked.
- ``shift_report``: totals per method, coupons, free releases, hand openings with their reasons,
  arrears created and refunds, computed from the ledger and the audit log of the shift's time.
- ``close_shift``: freezes the report, records the counted cash and the difference; a shift closes once.
- ``confirm_shift``: a manager (not the attendant) confirms a closed shift.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import AdjustmentKind, Arrears, AuditEvent, Payment, PaymentStatus, Refund, RefundStatus, Shift, ShiftStatus, StayAdjustment
from ..occupancy import new_uid
from . import audit

NOTE_MAX_CHARS = 500


class ShiftError(ValueError):
    """A shift action that cannot be done; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def current_shift(db: Session, operator_id: int) -> Shift | None:
    return db.scalar(select(Shift).where(Shift.operator_id == operator_id, Shift.status == ShiftStatus.OPEN))


def open_shift(db: Session, *, operator_id: int, lot_id: int, at: datetime, lane_id: int | None = None,
               opening_float_fen: int = 0) -> Shift:
    if not isinstance(opening_float_fen, int) or isinstance(opening_float_fen, bool) or not 0 <= opening_float_fen <= 1_000_000:
        raise ShiftError("opening_float_fen", "the change money in the drawer is a whole number of fen from 0 to 10,000 yuan")
    if current_shift(db, operator_id) is not None:
        raise ShiftError("shift", "you already have an open shift: close it before opening another")
    shift = Shift(uid=new_uid(), lot_id=lot_id, lane_id=lane_id, operator_id=operator_id, opened_at=at,
                  opening_float_fen=opening_float_fen)
    db.add(shift)
    audit.record(db, "shift.open", operator_id=operator_id, target=shift.uid, at=at, lot_id=lot_id, lane_id=lane_id,
                 opening_float_fen=opening_float_fen)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ShiftError("shift", "you already have an open shift: close it before opening another") from None
    return shift


def shift_report(db: Session, shift: Shift, *, until: datetime | None = None) -> dict[str, Any]:
    """The totals of ``shift`` (frozen at closing; computed live while it is open)."""
    if shift.report is not None and shift.status != ShiftStatus.OPEN:
        return shift.report
    end = until or shift.closed_at
    by_method: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for method, amount, n in db.execute(
        select(Payment.method, func.sum(Payment.amount_fen), func.count()).where(
            Payment.shift_id == shift.id, Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED])).group_by(Payment.method)
    ):
        by_method[method.value] += int(amount or 0)
        count[method.value] += int(n)
    adjustments: Counter[str] = Counter()
    for kind, amount in db.execute(
        select(StayAdjustment.kind, func.sum(StayAdjustment.amount_fen)).where(StayAdjustment.shift_id == shift.id).group_by(StayAdjustment.kind)
    ):
        adjustments[kind.value] += int(amount or 0)
    refunds: Counter[str] = Counter()
    for method, amount in db.execute(
        select(Payment.method, func.sum(Refund.amount_fen)).join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.shift_id == shift.id, Refund.status != RefundStatus.FAILED).group_by(Payment.method)
    ):
        refunds[method.value] += int(amount or 0)
    arrears_fen, arrears_n = db.execute(
        select(func.coalesce(func.sum(Arrears.amount_fen), 0), func.count()).where(Arrears.shift_id == shift.id)).one()
    openings = []
    window = [AuditEvent.operator_id == shift.operator_id, AuditEvent.action == "lane.open", AuditEvent.at >= shift.opened_at]
    if end is not None:
        window.append(AuditEvent.at <= end)
    for row in db.scalars(select(AuditEvent).where(and_(*window)).order_by(AuditEvent.at)):
        openings.append({"at": row.at.isoformat(), "lane": row.target, "reason": row.detail.get("reason", ""),
                         "outcome": row.detail.get("outcome", "")})
    cash_in = by_method.get("cash", 0)
    expected_cash = shift.opening_float_fen + cash_in - refunds.get("cash", 0)
    return {
        "received_fen": dict(sorted(by_method.items())), "payments": dict(sorted(count.items())),
        "received_total_fen": sum(by_method.values()),
        "coupon_fen": adjustments.get(AdjustmentKind.COUPON.value, 0),
        "campaign_fen": adjustments.get(AdjustmentKind.CAMPAIGN.value, 0),
        "free_release_fen": adjustments.get(AdjustmentKind.FREE_RELEASE.value, 0),
        "refunds_fen": dict(sorted(refunds.items())), "refund_total_fen": sum(refunds.values()),
        "arrears_fen": int(arrears_fen), "arrears_count": int(arrears_n),
        "hand_openings": openings, "opening_float_fen": shift.opening_float_fen, "expected_cash_fen": expected_cash,
    }


def close_shift(db: Session, shift: Shift, *, counted_cash_fen: int, at: datetime, operator_id: int, note: str = "") -> Shift:
    """Close ``shift`` with the cash counted in the drawer; a shift is closed once."""
    if not isinstance(counted_cash_fen, int) or isinstance(counted_cash_fen, bool) or not 0 <= counted_cash_fen <= 100_000_000:
        raise ShiftError("counted_cash_fen", "the counted cash is a whole number of fen, not negative")
    if operator_id != shift.operator_id:
        raise ShiftError("shift", "only the attendant of a shift closes it")
    note = " ".join(note.split())
    if len(note) > NOTE_MAX_CHARS:
        raise ShiftError("note", f"{len(note)} characters; at most {NOTE_MAX_CHARS}")
    report = shift_report(db, shift, until=at)
    closed = db.execute(
        update(Shift).where(Shift.id == shift.id, Shift.status == ShiftStatus.OPEN)
        .values(status=ShiftStatus.CLOSED, closed_at=at, counted_cash_fen=counted_cash_fen,
                expected_cash_fen=report["expected_cash_fen"], report=report, note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not closed:
        db.rollback()
        raise ShiftError("shift", "this shift is already closed")
    audit.record(db, "shift.close", operator_id=operator_id, target=shift.uid, at=at, counted_cash_fen=counted_cash_fen,
                 expected_cash_fen=report["expected_cash_fen"], difference_fen=counted_cash_fen - report["expected_cash_fen"])
    db.commit()
    db.refresh(shift)
    return shift


def confirm_shift(db: Session, shift: Shift, *, manager_id: int, at: datetime) -> Shift:
    if manager_id == shift.operator_id:
        raise ShiftError("shift", "a shift is confirmed by a manager other than its attendant")
    confirmed = db.execute(
        update(Shift).where(Shift.id == shift.id, Shift.status == ShiftStatus.CLOSED)
        .values(status=ShiftStatus.CONFIRMED, confirmed_by_id=manager_id, confirmed_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not confirmed:
        db.rollback()
        db.refresh(shift)
        raise ShiftError("shift", "only a closed shift can be confirmed" if shift.status == ShiftStatus.OPEN
                         else "this shift is already confirmed")
    audit.record(db, "shift.confirm", operator_id=manager_id, target=shift.uid, at=at, difference_fen=shift.difference_fen)
    db.commit()
    db.refresh(shift)
    return shift
