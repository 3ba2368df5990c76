"""A plate read at a lane, from raw camera text to a performed decision in the live store.

Entry: the plate is parsed, then admitted by one atomic script (duplicate reads, a vehicle already
inside and a full zone are all decided there). Exit: the exact plate is released in one script; only
when it has no open session does the service look for a tolerant match among the open sessions
(protocols.md §6), releasing a unique match and holding the car when two are plausible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..decisions import LaneDecision, entry_decision, exit_decision, no_plate, rejected_read
from ..occupancy import OccupancyStore
from ..plates import MatchKind, NoPlate, PlateColor, PlateError, match_exit, parse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LaneRef:
    """What a lane controller knows about its lane (from SQL, cached by the agent)."""

    id: int
    code: str
    name: str
    lot_id: int
    zone_id: int
    direction: str  # entry | exit
    camera_serial: str


@dataclass(frozen=True)
class PlateRead:
    raw: str
    camera_serial: str
    read_id: str = ""
    color: PlateColor | None = None
    camera_time: datetime | None = None
    offline: bool = False
    confidence: int = 0


def handle_read(store: OccupancyStore, lane: LaneRef, read: PlateRead, now: datetime) -> LaneDecision:
    # A record the camera stored while we were unreachable happened at the camera's time, not ours.
    at = read.camera_time if read.offline and read.camera_time is not None else now
    try:
        plate = parse(read.raw, read.color)
    except PlateError as exc:
        store.journal(lane.lot_id, "read_rejected", now, data={"lane": lane.id, "raw": read.raw, "reason": str(exc), "read": read.read_id})
        log.warning("lane %s: rejected read %r from camera %s: %s", lane.code, read.raw, read.camera_serial, exc)
        return rejected_read(str(exc))
    if isinstance(plate, NoPlate):
        store.journal(lane.lot_id, "no_plate", now, data={"lane": lane.id, "raw": read.raw, "read": read.read_id})
        return no_plate(lane.direction)

    common = {"camera_serial": read.camera_serial, "read_id": read.read_id, "lane_id": lane.id}
    if lane.direction == "entry":
        result = store.admit(
            lane.lot_id, lane.zone_id, plate.text, at,
            session={"color": plate.color.value, "kind": plate.kind.value, "class": "temporary", "offline": read.offline},
            **common,
        )
        return entry_decision(result.effective, plate.text, {"duplicate": result.duplicate, "event": result.event_uid})

    exit_info = {"read_plate": plate.text, "offline": read.offline}
    result = store.release(lane.lot_id, plate.text, at, exit=exit_info, probe=True, **common)
    if result.outcome == "no_session":
        match = match_exit(plate, store.open_plates(lane.lot_id))
        if match.kind == MatchKind.TOLERANT and match.plate:
            exit_info |= {"match": "tolerant", "match_reason": match.reason}
            result = store.release(lane.lot_id, match.plate, at, exit=exit_info, **common)
        elif match.kind == MatchKind.AMBIGUOUS:
            store.journal(lane.lot_id, "exit_ambiguous", now, plate=plate.text,
                          data={"lane": lane.id, "candidates": list(match.candidates), "read": read.read_id})
            return exit_decision("ambiguous", plate.text, detail={"candidates": list(match.candidates)})
        else:
            result = store.release(lane.lot_id, plate.text, at, exit=exit_info, **common)
    outcome = result.effective
    stay = None
    detail = result.detail.get("detail", result.detail) if result.duplicate else result.detail
    if outcome == "released" and "session" in detail:
        stay = at - datetime.fromisoformat(detail["session"]["entry_at"])
        if stay < timedelta(0):
            stay = timedelta(0)
    shown = detail.get("session", {}).get("plate", plate.text) if outcome == "released" else plate.text
    return exit_decision(outcome, shown, stay, {"duplicate": result.duplicate, "event": result.event_uid})
