"""What the phone payment pages read: the car held at an exit lane, a stay found by plate and entry time,
a stay's fee now and the time to leave by after paying, and an order's state as the ledger booked it.

Nothing here writes but ``order_state`` asking the provider about a pending order (``ledger.check_order``,
which books a payment the platform confirms): a state shown is the state the ledger holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..context import LotContext
from ..models import Lane, LaneDirection, Lot, ParkingSession, Payment, PaymentStatus
from ..payments.base import Provider, ProviderError
from ..plates import Plate, PlateError, parse
from . import ledger
from .fees import ExitBeforeEntryError, FeeEstimate, NotParkedError
from .site import SiteConfigError, load_lots

FIND_TOLERANCE = timedelta(minutes=10)  # the entry time a driver types may be this far from the recorded one
DEFAULT_GRACE_MINUTES = 15


def lot_context(db: Session, lot_id: int, *, default_tz: str, now: datetime) -> LotContext | None:
    """The lot as the lanes price it at ``now`` (``services.site.load_lots``; raises SiteConfigError)."""
    return load_lots(db, default_tz, now, lot_id=lot_id).get(lot_id)


def grace_minutes(lot: LotContext) -> int:
    return lot.tariff.grace_minutes if lot.tariff is not None else DEFAULT_GRACE_MINUTES


def exit_lanes_named(db: Session, lane_code: str) -> list[Lane]:
    """The enabled exit lanes whose code is ``lane_code`` (codes are unique per lot, not across lots)."""
    return list(db.scalars(select(Lane).where(Lane.code == lane_code, Lane.direction == LaneDirection.EXIT,
                                              Lane.enabled.is_(True)).order_by(Lane.id)))


def _plate(text: str) -> Plate | None:
    try:
        parsed = parse(text)
    except (PlateError, TypeError):
        return None
    return parsed if isinstance(parsed, Plate) else None


@dataclass(frozen=True)
class StayNow:
    """A car inside a lot now: what it owes if it left now, and until when a payment lets it leave."""

    lot: LotContext
    plate: Plate
    session_uid: str
    entry_at: datetime
    estimate: FeeEstimate
    paid_fen: int  # paid so far (live)
    paid_at: datetime | None
    grace_minutes: int

    @property
    def due_fen(self) -> int:
        return self.estimate.due_fen

    @property
    def leave_by(self) -> datetime | None:
        """The end of the grace after the last payment, while nothing more is due."""
        if self.paid_at is None or self.due_fen:
            return None
        return self.paid_at + timedelta(minutes=self.grace_minutes)


def stay_now(db: Session, store: Any, lot: LotContext, plate_text: str, session_uid: str, now: datetime) -> StayNow | None:
    """The stay ``session_uid`` of ``plate_text`` if it is still inside ``lot`` (None once it left)."""
    plate = _plate(plate_text)
    session = store.open_session(lot.id, plate_text) if plate is not None else None
    if plate is None or session is None or (session_uid and session.get("uid") != session_uid):
        return None
    try:
        estimate = ledger.due(store, lot, plate, now)
    except (NotParkedError, ExitBeforeEntryError):
        return None
    paid_at = datetime.fromisoformat(session["paid_at"]) if session.get("paid_at") else None
    return StayNow(lot=lot, plate=plate, session_uid=str(session.get("uid", "")), entry_at=estimate.entry_at, estimate=estimate,
                   paid_fen=int(session.get("paid_fen", 0)), paid_at=paid_at, grace_minutes=grace_minutes(lot))


def live_stay(store: Any, lot_id: int, session_uid: str) -> Mapping[str, Any] | None:
    """The open session ``session_uid`` of lot ``lot_id``, found among the lot's open sessions."""
    return next((s for s in store.open_sessions(lot_id).values() if s.get("uid") == session_uid), None)


def find_stay(db: Session, store: Any, plate_text: str, entry_time: time, *, default_tz: str,
              tolerance: timedelta = FIND_TOLERANCE) -> tuple[int, str] | None:
    """(lot id, session uid) of the car with ``plate_text`` inside a lot whose entry, in the lot's time
    zone, was within ``tolerance`` of the clock time ``entry_time``; None when no stay matches."""
    plate = _plate(plate_text)
    if plate is None:
        return None
    for lot in db.scalars(select(Lot).order_by(Lot.id)):
        session = store.open_session(lot.id, plate.text)
        if session is None or not session.get("uid"):
            continue
        tz = lot.timezone or (lot.site.timezone if lot.site else None) or default_tz
        entry = datetime.fromisoformat(session["entry_at"]).astimezone(ZoneInfo(tz))
        typed = entry.replace(hour=entry_time.hour, minute=entry_time.minute, second=0, microsecond=0)
        # The nearest moment showing that clock time: the day before, the same day or the day after.
        if min(abs(entry - (typed + timedelta(days=d))) for d in (-1, 0, 1)) <= tolerance:
            return lot.id, str(session["uid"])
    return None


@dataclass(frozen=True)
class OrderState:
    payment: Payment
    state: str  # pending | paid | closed | failed | refunded, as the ledger holds it
    inside: bool  # the car of a paid order is still in the lot
    leave_by: datetime | None  # a paid stay may leave without paying more until then
    grace_minutes: int
    lot_name: str

    @property
    def final(self) -> bool:
        return self.state != "pending"

    def minutes_left(self, now: datetime) -> int | None:
        if self.leave_by is None:
            return None
        return max(0, math.ceil((self.leave_by - now).total_seconds() / 60))


def order_state(db: Session, store: Any, payment_uid: str, *, providers: Mapping[str, Provider], default_tz: str,
                now: datetime, ask_provider: bool = False) -> OrderState | None:
    """An order as the ledger holds it; with ``ask_provider`` a pending order is first checked with its
    platform, so a payment whose notification is late is booked (and shown) now."""
    payment = db.scalar(select(Payment).where(Payment.uid == payment_uid))
    if payment is None:
        return None
    provider = providers.get(payment.method.value)
    if ask_provider and payment.status == PaymentStatus.PENDING and provider is not None:
        try:
            ledger.check_order(db, store, provider, payment.uid, now)
        except ProviderError:
            pass  # the platform did not answer: the order stays pending, as the ledger has it
        db.refresh(payment)
    try:
        lot = lot_context(db, payment.lot_id, default_tz=default_tz, now=now)
    except SiteConfigError:  # the lot's settings are broken: the order's state is still the ledger's
        lot = None
    grace = grace_minutes(lot) if lot is not None else DEFAULT_GRACE_MINUTES
    inside, leave_by = False, None
    if payment.status == PaymentStatus.PAID:
        session = store.open_session(payment.lot_id, payment.plate)
        inside = session is not None and (not payment.session_uid or session.get("uid") == payment.session_uid)
        if inside and payment.paid_at is not None:
            leave_by = payment.paid_at + timedelta(minutes=grace)
    lot_name = lot.name if lot is not None else ""
    return OrderState(payment=payment, state=payment.status.value, inside=inside, leave_by=leave_by, grace_minutes=grace,
                      lot_name=lot_name)


def stay_left(db: Session, session_uid: str) -> ParkingSession | None:
    """The stay's SQL row once the car has left (for the receipt link)."""
    row = db.scalar(select(ParkingSession).where(ParkingSession.uid == session_uid))
    return row if row is not None and row.exit_at is not None else None
