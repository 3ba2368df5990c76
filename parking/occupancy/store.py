"""The live occupancy of every lot, held in Redis and changed only through atomic Lua scripts.

``admit`` and ``release`` are one EVALSHA each: the script checks, changes the counts and the open
sessions, and appends the matching event to the lot's stream in one step, so Redis and the journal
never disagree. Scripts are registered once per store and called by SHA (redis-py reloads them after a
``SCRIPT FLUSH``). Nothing here decides policy; that is ``parking.decisions``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import redis

from .keys import LotKeys

STREAM_MAXLEN = 1_000_000


def _script(name: str) -> str:
    return resources.files("parking").joinpath(f"lua/{name}.lua").read_text(encoding="utf-8")


def new_uid() -> str:
    return uuid.uuid4().hex


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given where an aware one is required")
    return int(moment.timestamp() * 1000)


def from_ms(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


@dataclass(frozen=True)
class CoreResult:
    """What a script did: ``outcome`` and the detail it journaled (or, for a duplicate, the first answer)."""

    outcome: str
    detail: dict[str, Any]
    event_uid: str

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"

    @property
    def effective(self) -> str:
        """The outcome that counts: for a duplicate, the outcome of the first read."""
        return str(self.detail["first"]) if self.duplicate else self.outcome


class OccupancyStore:
    def __init__(self, client: redis.Redis, *, dedupe_seconds: int = 10, stream_maxlen: int = STREAM_MAXLEN) -> None:
        self.redis = client
        self.dedupe_seconds = dedupe_seconds
        self.stream_maxlen = stream_maxlen
        self._admit = client.register_script(_script("admit"))
        self._release = client.register_script(_script("release"))

    # -- configuration -------------------------------------------------------------------------------
    def set_capacities(self, lot_id: int, capacities: Mapping[int, int]) -> None:
        """Publish the zones' capacities of a lot (from SQL) to the live store."""
        keys = LotKeys(lot_id)
        if not capacities:
            return
        for zone, spaces in capacities.items():
            if spaces < 0:
                raise ValueError(f"zone {zone}: capacity {spaces} is negative")
        self.redis.hset(keys.capacity, mapping={str(z): int(c) for z, c in capacities.items()})

    # -- state changes -------------------------------------------------------------------------------
    def admit(
        self,
        lot_id: int,
        zone_id: int,
        plate: str,
        now: datetime,
        *,
        lane_id: int,
        session: Mapping[str, Any] | None = None,
        camera_serial: str = "",
        read_id: str = "",
    ) -> CoreResult:
        keys = LotKeys(lot_id)
        session_uid = new_uid()
        event_uid = new_uid()
        record = {
            "uid": session_uid,
            "plate": plate,
            "zone": zone_id,
            "lane": lane_id,
            "entry_at": now.astimezone(timezone.utc).isoformat(),
            "read": f"{camera_serial}:{read_id}" if read_id else "",
            **(session or {}),
        }
        raw = self._admit(
            keys=[
                keys.occupancy,
                keys.capacity,
                keys.open_sessions,
                keys.events,
                keys.read_dedupe(camera_serial, read_id) if read_id else "",
                keys.lane_dedupe(lane_id, plate),
            ],
            args=[plate, zone_id, _dumps(record), event_uid, to_ms(now), self.dedupe_seconds, self.stream_maxlen],
        )
        return _result(raw, event_uid)

    def release(
        self,
        lot_id: int,
        plate: str,
        now: datetime,
        *,
        lane_id: int,
        exit: Mapping[str, Any] | None = None,
        camera_serial: str = "",
        read_id: str = "",
        probe: bool = False,
    ) -> CoreResult:
        """Close the open session of ``plate``. With ``probe`` a missing session is reported without
        journaling it, so the caller may retry with a tolerantly matched plate."""
        keys = LotKeys(lot_id)
        event_uid = new_uid()
        record = {
            "lane": lane_id,
            "exit_at": now.astimezone(timezone.utc).isoformat(),
            "read": f"{camera_serial}:{read_id}" if read_id else "",
            **(exit or {}),
        }
        raw = self._release(
            keys=[
                keys.occupancy,
                keys.open_sessions,
                keys.events,
                keys.read_dedupe(camera_serial, read_id) if read_id else "",
                keys.lane_dedupe(lane_id, plate),
            ],
            args=[plate, _dumps(record), event_uid, to_ms(now), self.dedupe_seconds, self.stream_maxlen,
                  "probe" if probe else "final"],
        )
        return _result(raw, event_uid)

    def journal(self, lot_id: int, kind: str, now: datetime, *, plate: str = "", data: Mapping[str, Any]) -> str:
        """Append an event that changes no state (a rejected read, a device fault) to the lot's journal."""
        event_uid = new_uid()
        self.redis.xadd(
            LotKeys(lot_id).events,
            {"uid": event_uid, "kind": kind, "at": to_ms(now), "plate": plate, "data": _dumps(dict(data))},
            maxlen=self.stream_maxlen,
            approximate=True,
        )
        return event_uid

    # -- reads ---------------------------------------------------------------------------------------
    def open_session(self, lot_id: int, plate: str) -> dict[str, Any] | None:
        raw = self.redis.hget(LotKeys(lot_id).open_sessions, plate)
        return json.loads(raw) if raw else None

    def open_plates(self, lot_id: int) -> list[str]:
        return [_text(p) for p in self.redis.hkeys(LotKeys(lot_id).open_sessions)]

    def occupancy(self, lot_id: int) -> dict[int, tuple[int, int]]:
        """zone id -> (present, capacity), in one round trip."""
        keys = LotKeys(lot_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.occupancy)
            pipe.hgetall(keys.capacity)
            present, capacity = pipe.execute()
        present = {int(z): int(n) for z, n in present.items()}
        capacity = {int(z): int(n) for z, n in capacity.items()}
        return {zone: (present.get(zone, 0), capacity.get(zone, 0)) for zone in sorted(present.keys() | capacity.keys())}


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _result(raw: list[Any], event_uid: str) -> CoreResult:
    outcome, detail = _text(raw[0]), json.loads(_text(raw[1]))
    return CoreResult(outcome=outcome, detail=detail, event_uid=event_uid)
