"""What the lane console shows of each lane: its camera's health and the latest read.

Camera health comes from the hash the agent rewrites every few seconds in Redis
(``LotKeys(lot).device(serial)``: ``online``, ``last_seen_ms``, ``lane``). A camera counts as online only
while the agent says so *and* it was heard within ``ONLINE_SECONDS`` of now, so a hash left behind by an
agent that stopped reads as offline rather than as a stale "online".

The latest read is the newest decision event of the lane in the SQL journal (``lot_event``, whose
``lane_id`` the worker fills in: ``parking.occupancy.events``). The snapshot taken with a read is
journaled as its own ``snapshot`` event naming the decision's event, or, for a refused or held read, at
the same moment on the same lane.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from parking.models import Lane, LotEvent
from parking.occupancy import LotKeys
from parking.occupancy.events import READ_KINDS

from .queries import camera_serial

ONLINE_SECONDS = 30
@dataclass(frozen=True)
class CameraHealth:
    serial: str
    state: str  # online | offline | unknown (Redis could not be read)
    last_seen: datetime | None = None  # in the lot's time zone; None if never heard


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


def camera_health(client: redis.Redis, lanes: Sequence[Lane], now: datetime, default_tz: str) -> dict[int, CameraHealth]:
    """Health of each lane's camera, by lane id, from one pipelined round trip."""
    cameras = [(lane, camera_serial(lane)) for lane in lanes]
    cameras = [(lane, serial) for lane, serial in cameras if serial]
    try:
        with client.pipeline(transaction=False) as pipe:
            for lane, serial in cameras:
                pipe.hgetall(LotKeys(lane.lot_id).device(serial))
            hashes = pipe.execute()
    except redis.RedisError:
        return {lane.id: CameraHealth(serial, "unknown") for lane, serial in cameras}
    health = {}
    now_ms = int(now.timestamp() * 1000)
    for (lane, serial), fields in zip(cameras, hashes):
        seen_ms = fields.get(b"last_seen_ms")
        last_seen = None
        online = False
        if seen_ms is not None and seen_ms.isdigit():
            last_seen = datetime.fromtimestamp(int(seen_ms) / 1000, timezone.utc).astimezone(_zone(lane, default_tz))
            online = fields.get(b"online") == b"1" and now_ms - int(seen_ms) <= ONLINE_SECONDS * 1000
        health[lane.id] = CameraHealth(serial, "online" if online else "offline", last_seen)
    return health


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


def lane_statuses(db: Session, client: redis.Redis, now: datetime, default_tz: str) -> list[LaneStatus]:
    lanes = load_lanes(db)
    health = camera_health(client, lanes, now, default_tz)
    reads = latest_reads(db, lanes, default_tz)
    return [LaneStatus(lane, health.get(lane.id), reads.get(lane.id)) for lane in lanes]
