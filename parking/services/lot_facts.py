"""What a lane needs to know about plates, built from SQL for the live store's plate-fact cache.

``refresh`` rebuilds a lot's cache (passes with their plates, the lot's and the global whitelist and
blacklist entries, the visitors that can still matter) from SQL; a suspended pass, and one ended within
the last month, stay in it marked (``suspended_at``, ``ended_at``), so the lane admits nobody on them and
says why. The cache itself, and reading one plate's facts in one round trip, is ``OccupancyStore.facts``
(``parking.occupancy.facts``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import ListEntry, ParkingPass, Visitor
from ..occupancy import OccupancyStore
from ..passes import PassFact
from ..policy import LotPolicy

EXPIRED_SHOWN_DAYS = 31


def pass_fact(p: ParkingPass) -> PassFact:
    return PassFact(
        id=p.id, kind=p.kind.value, holder=p.holder, spaces=p.spaces, valid_from=p.valid_from, valid_until=p.valid_until,
        zone_id=p.zone_id, window_start=p.window_start, window_end=p.window_end,
        suspended_at=p.suspended_at, ended_at=p.ended_at,
    )


def refresh(db: Session, store: OccupancyStore, lot_id: int, policy: LotPolicy, now: datetime) -> dict[str, int]:
    """Rebuild the lot's plate facts from SQL; returns how many plates each kind holds."""
    # Passes that lapsed within the last month stay cached so the lane can say so ("月租车已过期").
    horizon = now - timedelta(days=max(policy.renewal_grace_days + 1, EXPIRED_SHOWN_DAYS))
    passes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = db.scalars(
        select(ParkingPass).where(ParkingPass.lot_id == lot_id, ParkingPass.valid_until > horizon,
                                  or_(ParkingPass.active.is_(True), ParkingPass.ended_at > horizon))
        .options(selectinload(ParkingPass.plates)).order_by(ParkingPass.id)
    )
    for p in rows:
        for plate in p.plates:
            passes[plate.plate].append(pass_fact(p).to_json())
    lists: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in db.scalars(
        select(ListEntry).where(or_(ListEntry.lot_id == lot_id, ListEntry.lot_id.is_(None)),
                                or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > now)).order_by(ListEntry.id)
    ):
        lists[entry.plate].append({"kind": entry.kind.value, "reason": entry.reason,
                                   "expires_at": entry.expires_at.isoformat() if entry.expires_at else None})
    visitors: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in db.scalars(select(Visitor).where(Visitor.lot_id == lot_id, Visitor.valid_until > now).order_by(Visitor.id)):
        visitors[v.plate].append({"host": v.host, "valid_from": v.valid_from.isoformat(), "valid_until": v.valid_until.isoformat()})
    store.facts.replace(lot_id, {"passes": passes, "lists": lists, "visitors": visitors})
    return {"passes": len(passes), "lists": len(lists), "visitors": len(visitors)}
