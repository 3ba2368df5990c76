"""What a lane needs to know about plates, kept in Redis so that a lane decision never waits on SQL.

Per lot, three hashes keyed by plate hold the passes (with their plates), the whitelist/blacklist
entries (the lot's and the global ones) and the registered visitors that can still matter. ``refresh``
rebuilds them from SQL in one MULTI/EXEC, so a lane never sees a half-written cache; ``entry_facts`` and
``exit_facts`` read everything about one plate, and its open session, in one round trip.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..admission import ListFact, VisitorFact
from ..models import ListEntry, ParkingPass, Visitor
from ..occupancy import LotKeys, OccupancyStore
from ..passes import PassFact
from ..policy import LotPolicy


@dataclass(frozen=True)
class PlateFacts:
    lists: tuple[ListFact, ...]
    passes: tuple[PassFact, ...]
    visitors: tuple[VisitorFact, ...]
    session: dict[str, Any] | None = None


EXPIRED_SHOWN_DAYS = 31


def pass_fact(p: ParkingPass) -> PassFact:
    return PassFact(
        id=p.id, kind=p.kind.value, holder=p.holder, spaces=p.spaces, valid_from=p.valid_from, valid_until=p.valid_until,
        zone_id=p.zone_id, window_start=p.window_start, window_end=p.window_end,
    )


def refresh(db: Session, store: OccupancyStore, lot_id: int, policy: LotPolicy, now: datetime) -> dict[str, int]:
    """Rebuild the lot's plate facts from SQL; returns how many plates each hash holds."""
    # Passes that lapsed within the last month stay cached so the lane can say so ("月租车已过期").
    horizon = now - timedelta(days=max(policy.renewal_grace_days + 1, EXPIRED_SHOWN_DAYS))
    passes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = db.scalars(
        select(ParkingPass).where(ParkingPass.lot_id == lot_id, ParkingPass.active.is_(True), ParkingPass.valid_until > horizon)
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

    keys = LotKeys(lot_id)
    with store.redis.pipeline(transaction=True) as pipe:
        for key, content in ((keys.passes, passes), (keys.lists, lists), (keys.visitors, visitors)):
            pipe.delete(key)
            if content:
                pipe.hset(key, mapping={plate: json.dumps(docs, ensure_ascii=False) for plate, docs in content.items()})
        pipe.execute()
    return {"passes": len(passes), "lists": len(lists), "visitors": len(visitors)}


def _load(raw: bytes | None) -> list[dict[str, Any]]:
    return json.loads(raw) if raw else []


def facts_from_docs(lists: Iterable[dict[str, Any]], passes: Iterable[dict[str, Any]], visitors: Iterable[dict[str, Any]],
           session: dict[str, Any] | None = None) -> PlateFacts:
    return PlateFacts(
        lists=tuple(ListFact(d["kind"], d["reason"], datetime.fromisoformat(d["expires_at"]) if d.get("expires_at") else None) for d in lists),
        passes=tuple(PassFact.from_json(d) for d in passes),
        visitors=tuple(VisitorFact(d["host"], datetime.fromisoformat(d["valid_from"]), datetime.fromisoformat(d["valid_until"])) for d in visitors),
        session=session,
    )


def plate_facts(store: OccupancyStore, lot_id: int, plate: str, *, with_session: bool = False) -> PlateFacts:
    """Everything the lot knows about ``plate`` (and its open session), in one round trip."""
    keys = LotKeys(lot_id)
    with store.redis.pipeline(transaction=False) as pipe:
        pipe.hget(keys.lists, plate)
        pipe.hget(keys.passes, plate)
        pipe.hget(keys.visitors, plate)
        if with_session:
            pipe.hget(keys.open_sessions, plate)
        replies = pipe.execute()
    session = json.loads(replies[3]) if with_session and replies[3] else None
    return facts_from_docs(_load(replies[0]), _load(replies[1]), _load(replies[2]), session)
