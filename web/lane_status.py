"""What the lane console shows of each lane: its camera's health and the latest read.

Camera health is what the agent reports every few seconds (``OccupancyStore.devices``,
``parking.occupancy.devices``: online only while the agent says so *and* heard within ``ONLINE_SECONDS``
of now), shown here in the lot's time zone.

The latest read is the newest decision event of the lane in the SQL journal (``lot_event``, whose
``lane_id`` the worker fills in: ``parking.occupancy.events``). The snapshot taken with a read is
journaled as its own ``snapshot`` event naming the decision's event, or, for a refused or held read, at
the same moment on the same lane.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from parking.models import Lane, LotEvent
from parking.occupancy import CameraHealth, OccupancyStore
from parking.occupancy.events import READ_KINDS

from .queries import camera_serial


@dataclass(frozen=True)
class LastRead:
    kind: str
    plate: str  # as decided; "" when no plate was read
    raw: str  # the camera's text, for a rejected read
    reason: str  # why a car was refused or held, as the core names it; "" otherwise
    at: datetime  # in the lot's time zone
    snapshot: str = ""  # stored snapshot path, "" when none was kept


@dataclass(frozen=True)
class LaneStatus:
    lane: Lane
    camera: CameraHealth | None  # None: the lane has no camera configured
    last_read: LastRead | None


def _zone(lane: Lane, default_tz: str) -> ZoneInfo:
    return ZoneInfo(lane.lot.timezone or default_tz)


def camera_health(store: OccupancyStore, lanes: Sequence[Lane], now: datetime, default_tz: str) -> dict[int, CameraHealth]:
    """Health of each lane's camera, by lane id, from one round trip; last seen in the lot's time zone."""
    cameras = [(lane, serial) for lane in lanes if (serial := camera_serial(lane))]
    found = store.devices.health([(lane.lot_id, serial) for lane, serial in cameras], now)
    return {lane.id: replace(h, last_seen=h.last_seen.astimezone(_zone(lane, default_tz)) if h.last_seen else None)
            for (lane, _), h in zip(cameras, found)}


def latest_reads(db: Session, lanes: Iterable[Lane], default_tz: str) -> dict[int, LastRead]:
    """The newest decision event of each lane, by lane id (lanes without any are absent): one indexed
    query per lane on ``lot_event.lane_id``."""
    found: dict[int, LastRead] = {}
    for lane in lanes:
        event = db.scalars(
            select(LotEvent).where(LotEvent.lane_id == lane.id, LotEvent.lot_id == lane.lot_id, LotEvent.kind.in_(READ_KINDS))
            .order_by(LotEvent.at.desc(), LotEvent.id.desc()).limit(1)
        ).first()
        if event is None:
            continue
        found[lane.id] = LastRead(
            kind=event.kind,
            plate=event.plate,
            raw=str(event.payload.get("raw") or ""),
            reason=str(event.payload.get("reason") or ""),
            at=event.at.astimezone(_zone(lane, default_tz)),
            snapshot=_snapshot_of(db, lane, event),
        )
    return found


def _snapshot_of(db: Session, lane: Lane, event: LotEvent) -> str:
    """The snapshot kept with a read: named after its event, or (for reads the core refused before
    journaling an event of its own) taken at the same moment on the same lane."""
    shots = db.scalars(
        select(LotEvent).where(LotEvent.lane_id == lane.id, LotEvent.kind == "snapshot", LotEvent.at == event.at)
    ).all()
    for shot in shots:
        if str(shot.payload.get("event") or "") in {event.event_uid, event.event_uid.replace(":", "-")}:
            return str(shot.payload.get("scene") or shot.payload.get("plate") or "")
    return str(shots[0].payload.get("scene") or shots[0].payload.get("plate") or "") if shots else ""


def load_lanes(db: Session) -> list[Lane]:
    return list(db.scalars(
        select(Lane).options(selectinload(Lane.devices), selectinload(Lane.lot), selectinload(Lane.zone)).order_by(Lane.lot_id, Lane.id)
    ))


def lane_statuses(db: Session, store: OccupancyStore, now: datetime, default_tz: str) -> list[LaneStatus]:
    lanes = load_lanes(db)
    health = camera_health(store, lanes, now, default_tz)
    reads = latest_reads(db, lanes, default_tz)
    return [LaneStatus(lane, health.get(lane.id), reads.get(lane.id)) for lane in lanes]
