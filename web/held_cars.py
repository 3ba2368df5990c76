"""The car each exit lane holds now, as its card on the lane console shows it: the whole plate, why it is
held, what it owes now with every line of the quote, its entry and how long it stayed, the QR order
waiting for it, and the booth's latest payment at the lane (to print its receipt).

The hold is the lane's (``OccupancyStore.held``: plate, stay, reason, at); the fee is priced again at
``now`` through the ledger (``ledger.due``), so the card asks what the gate would ask at this moment.
Times are in the lot's time zone.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from parking.context import LotContext
from parking.models import Lane, LaneDirection, Payment, PaymentStatus
from parking.occupancy import OccupancyStore
from parking.plates import Plate, PlateError, parse
from parking.services import ledger
from parking.services.fees import ExitBeforeEntryError, NotParkedError
from parking.services.site import SiteConfigError, load_lots
from parking.tariffs.errors import TariffError

RECENT_PAYMENT = timedelta(minutes=30)  # the booth's last payment at a lane stays on its card this long


@dataclass(frozen=True)
class FeeLine:
    rule: str
    start: datetime
    end: datetime
    amount_fen: int


@dataclass(frozen=True)
class HeldCar:
    lane_id: int
    plate: str
    reason: str  # the lane's code for why it holds the car (``money_words.HELD_REASONS``)
    session_uid: str  # "" when the car has no entry record
    held_at: datetime
    due_fen: int  # what the gate asks now, arrears included
    arrears_fen: int
    lines: tuple[FeeLine, ...]
    entry_at: datetime | None
    duration_minutes: int | None
    priced: bool  # False when the fee could not be priced again (no entry record, the lot's tariff unreadable)
    order: Payment | None  # a QR order placed at the booth for this car, still payable

    @property
    def payable(self) -> bool:
        """Whether money can be taken for the stay here (cash or a QR order): it is known and owes."""
        return bool(self.session_uid) and self.priced and self.due_fen > 0


def _minute(moment: datetime) -> int:
    return math.floor(moment.timestamp() / 60)


def fee_lines(quote: dict[str, Any] | None, tz: ZoneInfo) -> tuple[FeeLine, ...]:
    found = []
    for line in (quote or {}).get("lines", ()):
        try:
            found.append(FeeLine(str(line.get("rule", "")), datetime.fromisoformat(line["start"]).astimezone(tz),
                                 datetime.fromisoformat(line["end"]).astimezone(tz), int(line["amount_fen"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(found)


def lot_context(db: Session, lot_id: int, now: datetime, default_tz: str) -> LotContext | None:
    """The lot as its lanes price it now, or None when its configuration cannot be read."""
    try:
        return load_lots(db, default_tz, now, lot_id=lot_id).get(lot_id)
    except SiteConfigError:
        return None


def pending_order(db: Session, lane_id: int, plate: str, session_uid: str, now: datetime) -> Payment | None:
    """The newest QR order placed at the booth of ``lane_id`` for this stay that can still be paid."""
    return db.scalars(
        select(Payment).where(Payment.lane_id == lane_id, Payment.scene == "booth", Payment.plate == plate,
                              Payment.session_uid == session_uid, Payment.status == PaymentStatus.PENDING,
                              Payment.expires_at > now, Payment.qr_payload != "")
        .order_by(Payment.id.desc()).limit(1)
    ).first()


def held_car(db: Session, store: OccupancyStore, lane: Lane, lot: LotContext | None, doc: dict[str, Any], now: datetime,
             tz: ZoneInfo) -> HeldCar:
    plate, session_uid = str(doc["plate"]), str(doc.get("session") or "")
    due, arrears, lines, entry_at, priced = int(doc.get("due_fen") or 0), 0, (), None, False
    try:
        parsed = parse(plate)
    except PlateError:
        parsed = None
    if lot is not None and isinstance(parsed, Plate) and session_uid:
        try:
            estimate = ledger.due(store, lot, parsed, now)
        except (NotParkedError, ExitBeforeEntryError, TariffError):
            pass
        else:
            plan = estimate.plan
            due, arrears, entry_at, priced = estimate.due_fen, plan.arrears_fen, estimate.entry_at.astimezone(tz), True
            lines = fee_lines(plan.quote.as_json() if plan.quote is not None else None, tz)
    return HeldCar(
        lane_id=lane.id, plate=plate, reason=str(doc.get("reason") or ""), session_uid=session_uid,
        held_at=datetime.fromisoformat(doc["at"]).astimezone(tz), due_fen=due, arrears_fen=arrears, lines=lines,
        entry_at=entry_at, duration_minutes=_minute(now) - _minute(entry_at) if entry_at is not None else None, priced=priced,
        order=pending_order(db, lane.id, plate, session_uid, now) if session_uid else None,
    )


def held_cars(db: Session, store: OccupancyStore, lanes: Iterable[Lane], now: datetime, default_tz: str) -> dict[int, HeldCar]:
    """The car each exit lane of ``lanes`` holds now, by lane id (lanes holding none are absent)."""
    exits: dict[int, list[Lane]] = defaultdict(list)
    for lane in lanes:
        if lane.direction == LaneDirection.EXIT:
            exits[lane.lot_id].append(lane)
    found: dict[int, HeldCar] = {}
    for lot_id, lot_lanes in exits.items():
        docs = store.held.all(lot_id, now)
        holding = [lane for lane in lot_lanes if lane.id in docs]
        if not holding:
            continue
        lot = lot_context(db, lot_id, now, default_tz)
        tz = lot.tz if lot is not None else ZoneInfo(holding[0].lot.timezone or default_tz)
        for lane in holding:
            found[lane.id] = held_car(db, store, lane, lot, docs[lane.id], now, tz)
    return found


def recent_payments(db: Session, lane_ids: Iterable[int], now: datetime) -> dict[int, Payment]:
    """The booth's newest paid payment at each lane within ``RECENT_PAYMENT``, by lane id."""
    ids = list(lane_ids)
    if not ids:
        return {}
    rows = db.scalars(
        select(Payment).where(Payment.lane_id.in_(ids), Payment.scene == "booth", Payment.status == PaymentStatus.PAID,
                              Payment.paid_at >= now - RECENT_PAYMENT).order_by(Payment.paid_at, Payment.id)
    )
    return {row.lane_id: row for row in rows if row.lane_id is not None}
