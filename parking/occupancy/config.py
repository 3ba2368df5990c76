"""The live side of editing a site's configuration: capacities replaced zone by zone, and the
configuration version agents watch to pick up a change without a restart.

``replace_capacities`` makes the capacity fields of the given zones exactly the wanted ones in one Lua
script: a pool taken away or a zone deleted loses its field, and a value below the vehicles present, or
the removal of a field vehicles are counted in, is refused with ``CapacityError`` and nothing changed.

``bump`` raises the site-wide configuration version after a change is committed to SQL; each agent
reads ``version`` every second and reloads its lanes, policies, tariffs and plate facts when it moved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import redis

from .keys import CONFIG_VERSION, LotKeys
from .moments import new_uid, to_ms

__all__ = ["ConfigBoard"]


class ConfigBoard:
    def __init__(self, client: redis.Redis, script: Callable[..., object], stream_maxlen: int, capacity_error: type[ValueError]) -> None:
        self._redis = client
        self._replace = script
        self._maxlen = stream_maxlen
        self._error = capacity_error

    def replace_capacities(self, lot_id: int, zone_ids: Iterable[int], capacities: Mapping[int, int],
                           pools: Mapping[tuple[int, str], int] | None, now: datetime) -> None:
        """Make the capacity fields of ``zone_ids`` exactly ``capacities`` (by zone) and ``pools`` (by zone
        and pool kind); zones left out of ``capacities`` lose every field (a deleted zone)."""
        zones = sorted(set(zone_ids))
        wanted: list[tuple[str, int]] = [(str(z), c) for z, c in sorted(capacities.items())]
        wanted += [(f"{z}:{p}", c) for (z, p), c in sorted((pools or {}).items())]
        for field, spaces in wanted:
            if spaces < 0:
                raise self._error(f"zone {field}: capacity {spaces} is negative")
            if int(field.partition(":")[0]) not in zones:
                raise ValueError(f"capacity field {field} is not of the zones {zones}")
        keys = LotKeys(lot_id)
        outcome, field, present = self._replace(  # type: ignore[misc]
            keys=[keys.occupancy, keys.capacity, keys.events],
            args=[json.dumps(zones), json.dumps(wanted), new_uid(), to_ms(now), self._maxlen],
        )
        outcome, field = _text(outcome), _text(field)
        if outcome == "below_count":
            raise self._error(f"zone {field}: capacity {dict(wanted)[field]} is below the {int(present)} vehicles present")
        if outcome == "in_use":
            raise self._error(f"zone {field}: {int(present)} vehicles are counted there, so it cannot be removed")

    def bump(self) -> int:
        """Tell every agent the configuration changed; returns the new version."""
        return int(self._redis.incr(CONFIG_VERSION))

    def version(self) -> int:
        raw = self._redis.get(CONFIG_VERSION)
        return int(raw) if raw is not None else 0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
