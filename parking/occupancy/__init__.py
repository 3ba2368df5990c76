"""Live occupancy in Redis, and the only package that knows Redis: key names, the atomic store, plate
facts, device health, the lane command channel and the stream recorder. Everything outside it goes
through ``OccupancyStore`` (or, for the recorder, ``Recorder``) and never sees a key or a client."""

from .devices import ONLINE_SECONDS, CameraHealth, DeviceReport
from .facts import PlateFacts, facts_from_docs
from .keys import RECORDER_GROUP, LotKeys
from .store import CapacityError, Claim, CoreResult, Count, OccupancyStore, from_ms, new_uid, to_ms

__all__ = ["ONLINE_SECONDS", "RECORDER_GROUP", "CameraHealth", "CapacityError", "Claim", "CoreResult", "Count", "DeviceReport",
           "LotKeys", "OccupancyStore", "PlateFacts", "facts_from_docs", "from_ms", "new_uid", "to_ms"]
