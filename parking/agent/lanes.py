"""The agent's view of its site, read from SQL: lanes by camera serial, and each lot's context.

Reloaded on demand (an unknown serial triggers at most one reload per ``min_reload_seconds``) and by
``reload()``; lane decisions read the loaded values and never wait on SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from ..context import LaneRef, LotContext
from ..services.site import load_lanes, load_lots


class LaneDirectory:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float], now: Callable[[], datetime],
                 *, default_tz: str = "Asia/Shanghai", min_reload_seconds: float = 5.0) -> None:
        self._sessions = sessions
        self._clock = clock
        self._now = now
        self._default_tz = default_tz
        self._min_reload = min_reload_seconds
        self._lock = threading.Lock()
        self._lanes: dict[str, LaneRef] = {}
        self._lots: dict[int, LotContext] = {}
        self._loaded_at: float | None = None

    def reload(self) -> dict[str, LaneRef]:
        with self._sessions() as db:
            lots = load_lots(db, self._default_tz, self._now())
            lanes = load_lanes(db, lots)
        with self._lock:
            self._lanes, self._lots = lanes, lots
            self._loaded_at = self._clock()
        return lanes

    def all(self) -> dict[str, LaneRef]:
        if self._loaded_at is None:
            return self.reload()
        return dict(self._lanes)

    def lots(self) -> dict[int, LotContext]:
        if self._loaded_at is None:
            self.reload()
        return dict(self._lots)

    def by_serial(self, serial: str) -> LaneRef | None:
        if self._loaded_at is None:
            self.reload()
        lane = self._lanes.get(serial)
        if lane is None and self._loaded_at is not None and self._clock() - self._loaded_at >= self._min_reload:
            lane = self.reload().get(serial)
        return lane
