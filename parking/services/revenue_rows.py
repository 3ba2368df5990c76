"""The revenue report's figures as grouped rows, added up by the database from the ledger.

One query per kind of figure (``SOURCES``), each grouped by lot, local day, lane, operator and code (the
payment method or the discount kind), over the moments of a ``Segment`` of days and the lots named (the
indexes lead with the lot: ``lot_id IN (...)``):

=============  =====================================================================  ======================
source         rows                                                                     amount (part, count)
=============  =====================================================================  ======================
``stays``      closed stays by exit time and exit lane                                  fees (-, stays)
``payments``   payments paid or refunded later, by time paid, lane, operator, method   amounts (arrears part, payments)
``discounts``  stay adjustments but refunds, by time, lane, operator, kind              amounts
``arrears``    arrears by time created, lane, operator                                  amounts
``refunds``    refunds done, by time done, the payment's lane and method, operator     amounts
=============  =====================================================================  ======================

``parking.services.revenue`` folds the rows into a report; ``parking.services.revenue_days`` keeps the
rows of past days so long periods are read rather than added up again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AdjustmentKind, Arrears, ParkingSession, Payment, PaymentStatus, Refund, RefundStatus, SessionStatus, StayAdjustment
from .report_days import Segment, as_date, local_date

SOURCES = ("stays", "payments", "discounts", "arrears", "refunds")
RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


@dataclass(frozen=True, slots=True)
class Grouped:
    source: str
    lot_id: int
    day: date
    lane_id: int | None
    operator_id: int | None
    code: str  # the payment method (payments, refunds) or the discount kind; "" otherwise
    amount_fen: int
    part_fen: int = 0  # of payments: the part that paid arrears back
    count: int = 0  # stays, payments


def grouped_rows(db: Session, segment: Segment, lot_ids: list[int]) -> Iterator[Grouped]:
    """Every grouped row of every source for the lots ``lot_ids`` over ``segment``."""
    for source in SOURCES:
        yield from _QUERIES[source](db, segment, lot_ids)


def _run(db: Session, query: Any, column: Any, lot_ids: list[int]) -> list[Any]:
    return db.execute(query.where(column.in_(lot_ids))).all()


def _stays(db: Session, segment: Segment, lot_ids: list[int]) -> Iterator[Grouped]:
    s = ParkingSession
    day = local_date(s.exit_at, segment)
    query = (select(s.lot_id, day, s.exit_lane_id, func.sum(s.fee_fen), func.count())
             .where(s.status == SessionStatus.CLOSED, s.exit_at >= segment.start, s.exit_at < segment.end)
             .group_by(s.lot_id, day, s.exit_lane_id))
    for lot_id, local, lane_id, fee, count in _run(db, query, s.lot_id, lot_ids):
        yield Grouped("stays", lot_id, as_date(local), lane_id, None, "", int(fee or 0), 0, int(count))


def _payments(db: Session, segment: Segment, lot_ids: list[int]) -> Iterator[Grouped]:
    p = Payment
    day = local_date(p.paid_at, segment)
    query = (select(p.lot_id, day, p.lane_id, p.operator_id, p.method, func.sum(p.amount_fen), func.sum(p.arrears_fen), func.count())
             .where(p.status.in_(RECEIVED), p.paid_at >= segment.start, p.paid_at < segment.end)
             .group_by(p.lot_id, day, p.lane_id, p.operator_id, p.method))
    for lot_id, local, lane_id, operator_id, method, amount, arrears, count in _run(db, query, p.lot_id, lot_ids):
        yield Grouped("payments", lot_id, as_date(local), lane_id, operator_id, method.value, int(amount or 0), int(arrears or 0), int(count))


def _discounts(db: Session, segment: Segment, lot_ids: list[int]) -> Iterator[Grouped]:
    a = StayAdjustment
    day = local_date(a.at, segment)
    query = (select(a.lot_id, day, a.lane_id, a.operator_id, a.kind, func.sum(a.amount_fen))
             .where(a.kind != AdjustmentKind.REFUND, a.at >= segment.start, a.at < segment.end)
             .group_by(a.lot_id, day, a.lane_id, a.operator_id, a.kind))
    for lot_id, local, lane_id, operator_id, kind, amount in _run(db, query, a.lot_id, lot_ids):
        yield Grouped("discounts", lot_id, as_date(local), lane_id, operator_id, kind.value, int(amount or 0))


def _arrears(db: Session, segment: Segment, lot_ids: list[int]) -> Iterator[Grouped]:
    a = Arrears
    day = local_date(a.created_at, segment)
    query = (select(a.lot_id, day, a.lane_id, a.operator_id, func.sum(a.amount_fen))
             .where(a.created_at >= segment.start, a.created_at < segment.end)
             .group_by(a.lot_id, day, a.lane_id, a.operator_id))
    for lot_id, local, lane_id, operator_id, amount in _run(db, query, a.lot_id, lot_ids):
        yield Grouped("arrears", lot_id, as_date(local), lane_id, operator_id, "", int(amount or 0))


def _refunds(db: Session, segment: Segment, lot_ids: list[int]) -> Iterator[Grouped]:
    r = Refund
    day = local_date(r.refunded_at, segment)
    query = (select(r.lot_id, day, Payment.lane_id, r.operator_id, Payment.method, func.sum(r.amount_fen))
             .join(Payment, Payment.id == r.payment_id)
             .where(r.status == RefundStatus.REFUNDED, r.refunded_at >= segment.start, r.refunded_at < segment.end)
             .group_by(r.lot_id, day, Payment.lane_id, r.operator_id, Payment.method))
    for lot_id, local, lane_id, operator_id, method, amount in _run(db, query, r.lot_id, lot_ids):
        yield Grouped("refunds", lot_id, as_date(local), lane_id, operator_id, method.value, int(amount or 0))


_QUERIES = {"stays": _stays, "payments": _payments, "discounts": _discounts, "arrears": _arrears, "refunds": _refunds}
