"""What the lane console shows of each lane: its camera's health and the latest read.

Camera health comes from the hash the agent rewrites every few seconds in Redis
(``LotKeys(lot).device(serial)``: ``online``, ``last_seen_ms``, ``lane``). A camera counts as online only
while the agent says so *and* it was heard within ``ONLINE_SECONDS`` of now, so a hash left behind by an
agent that stopped reads as offline rather than as a stale "online".

The latest read is the newest decision event of the lane in the SQL journal (``lot_event``), as the
worker recorded it; the lane id sits in a different place of the payload depending on the kind (the Lua
scripts keep the entry's lane in ``session``, the exit's in ``exit``). The snapshot taken with a read is
journaled as its own ``snapshot`` event naming the decision's event, or, for a refused or held read, at
the same moment on the same lane.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from parking.models import Lane, LotEvent
from parking.occupancy import LotKeys

from .queries import camera_serial

ONLINE_SECONDS = 30
# Decision events, newest first, read per lot to find each lane's latest: a lane quieter than this many
# reads of its lot shows no latest read rather than costing a scan of the whole journal.
RECENT_EVENTS_PER_LOT = 300

READ_KINDS = (
    "entered", "entry_refused", "exited", "exit_held", "exit_unmatched", "exit_ambiguous",
    "read_rejected", "no_plate", "moved", "move_refused",
)
# Where each kind keeps the lane in its payload; the first path that holds a value wins.
LANE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "entered": (("session", "lane"),),
    "entry_refused": (("lane",), ("attempt", "lane")),
    "exited": (("exit", "lane"),),
    "exit_unmatched": (("exit", "lane"),),
    "moved": (("move", "lane"),),
    "move_refused": (("lane",),),
}
DEFAULT_LANE_PATHS: tuple[tuple[str, ...], ...] = (("lane",),)


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


def lane_of(kind: str, payload: Mapping[str, Any]) -> int | None:
    """The lane id a decision event names, or None."""
    for path in LANE_PATHS.get(kind, DEFAULT_LANE_PATHS):
        value: Any = payload
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None and str(value).isdigit():
            return int(value)
    return None


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


def _recent_reads(db: Session, lot_id: int) -> list[LotEvent]:
    return list(db.scalars(
        select(LotEvent)
        .where(LotEvent.lot_id == lot_id, LotEvent.kind.in_((*READ_KINDS, "snapshot")))
        .order_by(LotEvent.at.desc(), LotEvent.id.desc())
        .limit(RECENT_EVENTS_PER_LOT)
    ))


def latest_reads(db: Session, lanes: Iterable[Lane], default_tz: str) -> dict[int, LastRead]:
    """The newest decision event of each lane, by lane id (lanes with none in the recent journal are absent)."""
    by_lot: dict[int, dict[int, Lane]] = {}
    for lane in lanes:
        by_lot.setdefault(lane.lot_id, {})[lane.id] = lane
    found: dict[int, LastRead] = {}
    for lot_id, lot_lanes in by_lot.items():
        events = _recent_reads(db, lot_id)
        shots_by_event: dict[str, str] = {}
        shots_by_moment: dict[tuple[int | None, datetime], str] = {}
        for event in events:
            if event.kind == "snapshot":
                path = str(event.payload.get("scene") or event.payload.get("plate") or "")
                shots_by_event.setdefault(str(event.payload.get("event") or ""), path)
                shots_by_moment.setdefault((lane_of("snapshot", event.payload), event.at), path)
        for event in events:
            lane_id = lane_of(event.kind, event.payload)
            if event.kind == "snapshot" or lane_id not in lot_lanes or lane_id in found:
                continue
            lane = lot_lanes[lane_id]
            snapshot = shots_by_event.get(event.event_uid.replace(":", "-")) or shots_by_moment.get((lane_id, event.at), "")
            found[lane_id] = LastRead(
                kind=event.kind,
                plate=event.plate,
                raw=str(event.payload.get("raw") or ""),
                reason=str(event.payload.get("reason") or ""),
                at=event.at.astimezone(_zone(lane, default_tz)),
                snapshot=snapshot,
            )
    return found


def load_lanes(db: Session) -> list[Lane]:
    return list(db.scalars(
        select(Lane).options(selectinload(Lane.devices), selectinload(Lane.lot), selectinload(Lane.zone)).order_by(Lane.lot_id, Lane.id)
    ))


def lane_statuses(db: Session, client: redis.Redis, now: datetime, default_tz: str) -> list[LaneStatus]:
    lanes = load_lanes(db)
    health = camera_health(client, lanes, now, default_tz)
    reads = latest_reads(db, lanes, default_tz)
    return [LaneStatus(lane, health.get(lane.id), reads.get(lane.id)) for lane in lanes]
