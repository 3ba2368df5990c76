"""Device health, written by the agent and read by the console: one small hash per camera in its lot.

The agent rewrites, every few seconds, for each lane camera when it was last heard (``last_seen_ms``)
and whether that was within ``ONLINE_SECONDS``; with it go the counts of pushes refused for failing
authentication. A reader counts a camera as online only while the agent says so *and* it was heard
within ``ONLINE_SECONDS`` of the reader's ``now``, so a hash left behind by an agent that stopped reads
as offline rather than as a stale "online".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis

from .keys import LotKeys
from .moments import from_ms, to_ms

ONLINE_SECONDS = 30
DEVICE_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class DeviceReport:
    """What the agent knows of one camera: ``last_seen`` None if never heard since the agent started."""

    lot_id: int
    lane_id: int
    serial: str
    last_seen: datetime | None
    refused: dict[str, int] = field(default_factory=dict)  # reason -> pushes refused (authentication)


@dataclass(frozen=True)
class CameraHealth:
    serial: str
    state: str  # online | offline | unknown (Redis could not be read)
    last_seen: datetime | None = None  # UTC; None if never heard
    refused: dict[str, int] = field(default_factory=dict)


def is_online(last_seen: datetime | None, now: datetime) -> bool:
    """Heard within ``ONLINE_SECONDS`` of ``now``."""
    return last_seen is not None and now - last_seen <= timedelta(seconds=ONLINE_SECONDS)


class DeviceBoard:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def report(self, reports: Iterable[DeviceReport], now: datetime) -> None:
        """Write each camera's health, in one round trip."""
        with self._redis.pipeline(transaction=False) as pipe:
            for r in reports:
                key = LotKeys(r.lot_id).device(r.serial)
                mapping: dict[str, int | str] = {"online": int(is_online(r.last_seen, now)), "lane": r.lane_id}
                if r.last_seen is not None:
                    mapping["last_seen_ms"] = to_ms(r.last_seen)
                for reason, count in r.refused.items():
                    mapping[f"refused:{reason}"] = count
                pipe.hset(key, mapping=mapping)
                pipe.expire(key, DEVICE_TTL_SECONDS)
            pipe.execute()

    def health(self, cameras: Sequence[tuple[int, str]], now: datetime) -> list[CameraHealth]:
        """Health of each (lot id, serial), in order, from one round trip; ``unknown`` if Redis fails."""
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for lot_id, serial in cameras:
                    pipe.hgetall(LotKeys(lot_id).device(serial))
                hashes = pipe.execute()
        except redis.RedisError:
            return [CameraHealth(serial, "unknown") for _, serial in cameras]
        found = []
        for (_, serial), fields in zip(cameras, hashes):
            fields = {_text(k): _text(v) for k, v in fields.items()}
            seen = fields.get("last_seen_ms", "")
            last_seen = from_ms(seen) if seen.isdigit() else None
            online = fields.get("online") == "1" and is_online(last_seen, now)
            refused = {k.partition(":")[2]: int(v) for k, v in fields.items() if k.startswith("refused:") and v.isdigit()}
            found.append(CameraHealth(serial, "online" if online else "offline", last_seen, refused))
        return found


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
