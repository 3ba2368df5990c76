"""Long-parked (zombie, 僵尸车) vehicles: open stays older than their lot's threshold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Lot, ParkingSession, SessionStatus
from ..policy import LotPolicy


@dataclass(frozen=True)
class Zombie:
    lot_id: int
    threshold_days: int
    lot: str
    plate: str
    zone_id: int
    entry_at: datetime
    days: int
    snapshot: str
    session_uid: str


def find_zombies(db: Session, now: datetime, *, days: int | None = None, lot_code: str | None = None, tz: str = "Asia/Shanghai") -> list[Zombie]:
    """Open sessions older than the lot's ``zombie_days`` (or ``days``), oldest first."""
    query = select(ParkingSession, Lot).join(Lot, Lot.id == ParkingSession.lot_id).where(ParkingSession.status == SessionStatus.OPEN)
    if lot_code:
        query = query.where(Lot.code == lot_code)
    found = []
    for row, lot in db.execute(query.order_by(ParkingSession.entry_at)):
        threshold = days if days is not None else LotPolicy.from_settings(lot.settings).zombie_days
        age = now - row.entry_at
        if age >= timedelta(days=threshold):
            found.append(Zombie(lot.id, threshold, lot.name, row.plate, row.zone_id, row.entry_at.astimezone(ZoneInfo(lot.timezone or tz)), age.days, row.entry_snapshot, row.uid))
    return found
