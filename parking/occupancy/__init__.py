"""Live occupancy in Redis: key names, the atomic store and the stream recorder."""

from .keys import RECORDER_GROUP, LotKeys
from .store import CapacityError, Claim, CoreResult, Count, OccupancyStore, from_ms, new_uid, to_ms

__all__ = ["RECORDER_GROUP", "CapacityError", "Claim", "CoreResult", "Count", "LotKeys", "OccupancyStore", "from_ms", "new_uid", "to_ms"]
