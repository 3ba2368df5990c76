"""What a lane needs to know about plates, built from SQL for the live store's plate-fact cache.

``refresh`` rebuilds a lot's cache (passes with their plates, the lot's and the global whitelist and
blacklist entries, the visitors that can still matter) from SQL; a suspended pass, and one ended within
the last month, stay in it marked (``suspended_at``, ``ended_at``), so the lane admits nobody on them and
says why. Every lot also learns what each plate owes from earlier stays in any lot of the operator
(open arrears, 欠费), so that an entry can show or refuse it and an exit ask for it without SQL;
``publish_owed`` tells every lot at once when one plate's arrears change. The cache itself, and reading
one plate's facts in one round trip, is ``OccupancyStore.facts`` (``parking.occupancy.facts``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import Arrears, ArrearsStatus, ListEntry, Lot, ParkingPass, Visitor
from ..occupancy import OccupancyStore
from ..occupancy.facts import owed_docs
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
    arrears = {plate: owed_docs(owed, count) for plate, (owed, count) in owed_by_plate(db).items()}
    store.facts.replace(lot_id, {"passes": passes, "lists": lists, "visitors": visitors, "arrears": arrears})
    return {"passes": len(passes), "lists": len(lists), "visitors": len(visitors), "arrears": len(arrears)}


def owed_by_plate(db: Session, plate: str | None = None) -> dict[str, tuple[int, int]]:
    """plate -> (fen owed, open arrears) over every lot: what is left of each open arrears row."""
    query = (select(Arrears.plate, func.sum(Arrears.amount_fen - Arrears.paid_fen), func.count())
             .where(Arrears.status == ArrearsStatus.OPEN).group_by(Arrears.plate))
    if plate is not None:
        query = query.where(Arrears.plate == plate)
    return {p: (int(owed or 0), int(n)) for p, owed, n in db.execute(query) if owed}


def publish_owed(db: Session, store: OccupancyStore, plate: str) -> int:
    """Tell every lot what ``plate`` owes now (after arrears were recorded, paid back or waived); returns it."""
    owed, count = owed_by_plate(db, plate).get(plate, (0, 0))
    store.facts.set_owed(db.scalars(select(Lot.id).order_by(Lot.id)).all(), plate, owed, count)
    return owed
