"""Booking money against arrears (欠费): what a plate still owes, the part of a payment that pays it back,
and which stays a refund of a payment gives money back to.

- ``owed_fen``/``open_rows``: the plate's open arrears, in every lot, oldest first.
- ``book``: when a payment that includes arrears (``Payment.arrears_fen``) is paid, its arrears part pays
  the plate's open arrears back, oldest first, each row in one conditional UPDATE (two payments racing
  for the same row book it once), with one ``ArrearsPayment`` row per arrears row paid. A payment is
  booked once: a second call finds its rows and books nothing. What could not be booked (the arrears
  were paid another way meanwhile) is the stay's: ``Payment.arrears_fen`` becomes what was booked.
  Money for a stay that arrives after its car left unpaid pays that stay's own arrears first.
- ``publish``: after the commit, the stays whose arrears changed get their totals and the lanes learn
  what the plate owes now (``lot_facts.publish_owed``); a live store that is away learns it at the
  agents' next sync.
- ``refund_parts``: the stays (and amounts) a refund of a payment takes money back from: its stay's part
  first, then the arrears it paid back, in the order they were booked, after what earlier refunds took.

Nothing here commits; the ledger, ``arrears`` and ``refunds`` commit with their own change and audit row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Arrears, ArrearsPayment, ArrearsStatus, Payment, stay_totals
from ..models import ParkingSession
from ..occupancy import OccupancyStore
from . import lot_facts

log = logging.getLogger(__name__)


def open_rows(db: Session, plate: str) -> list[Arrears]:
    """The plate's open arrears in every lot, oldest first."""
    return list(db.scalars(select(Arrears).where(Arrears.plate == plate, Arrears.status == ArrearsStatus.OPEN)
                           .order_by(Arrears.created_at, Arrears.id)))


def owed_fen(db: Session, plate: str) -> int:
    """What the plate still owes from earlier stays, in every lot."""
    owed = db.scalar(select(func.coalesce(func.sum(Arrears.amount_fen - Arrears.paid_fen), 0))
                     .where(Arrears.plate == plate, Arrears.status == ArrearsStatus.OPEN))
    return int(owed or 0)


def book(db: Session, payment: Payment, at: datetime) -> list[str]:
    """Book the arrears part of the paid ``payment`` to the plate's open arrears, oldest first; returns the
    session uids of the stays whose arrears were paid back. Does nothing for a payment already booked."""
    if db.scalar(select(ArrearsPayment.id).where(ArrearsPayment.payment_id == payment.id).limit(1)) is not None:
        return []
    rows = open_rows(db, payment.plate)
    own = [row for row in rows if payment.session_uid and row.session_uid == payment.session_uid]
    booked_own, sessions = _pay_back(db, payment, own, payment.amount_fen - payment.arrears_fen, at)
    booked, more = _pay_back(db, payment, [row for row in rows if row not in own], payment.arrears_fen, at)
    if booked != payment.arrears_fen:
        log.warning("payment %s: %d fen of arrears were already paid back; they stay with the payment's stay",
                    payment.uid, payment.arrears_fen - booked)
    payment.arrears_fen = booked + booked_own
    return sessions + more


def _pay_back(db: Session, payment: Payment, rows: list[Arrears], amount_fen: int, at: datetime) -> tuple[int, list[str]]:
    """Pay up to ``amount_fen`` of ``payment`` to ``rows`` in order; returns what was booked and the stays."""
    remaining, booked, sessions = amount_fen, 0, []
    for row in rows:
        if remaining <= 0:
            break
        paid = row.paid_fen
        take = min(remaining, row.amount_fen - paid)
        if take <= 0:
            continue
        settled = paid + take == row.amount_fen
        changed = db.execute(
            update(Arrears).where(Arrears.id == row.id, Arrears.paid_fen == paid, Arrears.status == ArrearsStatus.OPEN)
            .values(paid_fen=paid + take, status=ArrearsStatus.SETTLED if settled else ArrearsStatus.OPEN,
                    settled_at=at if settled else None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.expire(row)
        if not changed:  # paid back another way between our read and our write: leave it to that payment
            continue
        db.add(ArrearsPayment(arrears_id=row.id, payment_id=payment.id, amount_fen=take, at=at))
        remaining -= take
        booked += take
        if row.session_uid:
            sessions.append(row.session_uid)
    return booked, sessions


def book_totals(db: Session, session_uids: Iterable[str]) -> None:
    """Copy the ledger's totals onto each stay's row (those the worker has recorded); the caller commits."""
    for uid in dict.fromkeys(session_uids):
        row = db.scalar(select(ParkingSession).where(ParkingSession.uid == uid))
        if row is not None:
            totals = stay_totals(db, uid)
            row.paid_fen, row.discount_fen, row.arrears_fen = totals.paid_fen, totals.discount_fen, totals.arrears_fen


def publish(db: Session, store: OccupancyStore, plate: str, session_uids: Iterable[str] = ()) -> None:
    """After a committed change of the plate's arrears: the stays' totals, and what every lane knows."""
    book_totals(db, session_uids)
    db.commit()
    try:
        lot_facts.publish_owed(db, store, plate)
    except Exception as exc:  # the live store is away: the agents' next sync rebuilds the facts from SQL
        if not _is_unavailable(exc):
            raise
        log.warning("what %s owes reaches the lanes at their next sync (the live store is unreachable)", plate[:2] + "***")


def _is_unavailable(exc: Exception) -> bool:
    from ..runtime import REDIS_UNAVAILABLE

    return isinstance(exc, REDIS_UNAVAILABLE)


def refund_parts(db: Session, payment: Payment, already_fen: int, amount_fen: int) -> list[tuple[str | None, int, int]]:
    """(session uid, lot id, fen) a refund of ``amount_fen`` after ``already_fen`` refunded takes from: the
    payment's own stay's part first, then each arrears row it paid back in booking order. A session uid
    of None is money of no stay (paid towards arrears that were paid back another way)."""
    parts: list[tuple[str | None, int, int]] = [(payment.session_uid or None, payment.lot_id, payment.amount_fen - payment.arrears_fen)]
    for session_uid, lot_id, fen in db.execute(
        select(Arrears.session_uid, Arrears.lot_id, ArrearsPayment.amount_fen).join(Arrears, Arrears.id == ArrearsPayment.arrears_id)
        .where(ArrearsPayment.payment_id == payment.id).order_by(ArrearsPayment.id)
    ):
        parts.append((session_uid, int(lot_id), int(fen)))
    taken: dict[tuple[str | None, int], int] = {}
    start, end, position = already_fen, already_fen + amount_fen, 0
    for session_uid, lot_id, fen in parts:
        low, high = max(start, position), min(end, position + fen)
        if high > low:
            taken[(session_uid, lot_id)] = taken.get((session_uid, lot_id), 0) + high - low
        position += fen
    return [(session_uid, lot_id, fen) for (session_uid, lot_id), fen in taken.items()]
