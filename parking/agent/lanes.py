"""The agent's view of its lanes, read from SQL: which camera serial belongs to which lane."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..models import Device, DeviceKind, Lane
from ..services.lane_reads import LaneRef


def load_lanes(db: Session) -> dict[str, LaneRef]:
    """camera serial -> lane, for every enabled lane with an enabled camera."""
    lanes: dict[str, LaneRef] = {}
    rows = db.scalars(select(Lane).where(Lane.enabled.is_(True)).options(selectinload(Lane.devices)).order_by(Lane.id))
    for lane in rows:
        for device in lane.devices:
            if device.kind == DeviceKind.CAMERA and device.enabled and device.serial:
                lanes[device.serial] = LaneRef(
                    id=lane.id, code=lane.code, name=lane.name, lot_id=lane.lot_id, zone_id=lane.zone_id,
                    direction=lane.direction.value, camera_serial=device.serial,
                )
    return lanes


def camera_lot(db: Session, serial: str) -> int | None:
    return db.scalar(select(Device.lot_id).where(Device.serial == serial))


class LaneDirectory:
    """Lanes by camera serial, reloaded from SQL on demand (an unknown serial triggers one reload)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float], *, min_reload_seconds: float = 5.0) -> None:
        self._sessions = sessions
        self._clock = clock
        self._min_reload = min_reload_seconds
        self._lock = threading.Lock()
        self._lanes: dict[str, LaneRef] = {}
        self._loaded_at: float | None = None

    def reload(self) -> dict[str, LaneRef]:
        with self._sessions() as db:
            lanes = load_lanes(db)
        with self._lock:
            self._lanes = lanes
            self._loaded_at = self._clock()
        return lanes

    def all(self) -> dict[str, LaneRef]:
        if self._loaded_at is None:
            return self.reload()
        return dict(self._lanes)

    def by_serial(self, serial: str) -> LaneRef | None:
        if self._loaded_at is None:
            self.reload()
        lane = self._lanes.get(serial)
        if lane is None and self._loaded_at is not None and self._clock() - self._loaded_at >= self._min_reload:
            lane = self.reload().get(serial)
        return lane
