"""Lane controllers for VZ / Zhenshi push cameras: a plate result in, a gate and LED command out.

The device layer (``drivers.vz.push_camera``) serves the push paths, decodes each push, answers a push
the camera repeats with the first answer, confirms offline records with ``ContinuePushOffline`` and
delivers queued console commands with the next answer (a plate push, or the comet heartbeat that follows
within moments). This module binds each camera to its lane from SQL: a read is decided by
``parking.services.lane_reads`` (or, while Redis is unreachable, by the offline lanes) and answered with
``"info":"ok"`` to open the gate and ``serialData`` carrying the OLM LED/voice frames for the board. The
camera's snapshots are stored (``parking.snapshots``) and referenced from the journal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

import redis

from drivers import olm
from drivers.hikvision import HikAnprEvent
from drivers.vz.push import VzPlateResult, VzResponse
from drivers.vz.push_camera import VzPushHub

from ..decisions import LaneDecision, board_lines
from ..occupancy import OccupancyStore
from ..plates import PlateColor, color_from_vz
from ..services.lane_reads import PlateRead, handle_read
from ..services.site import LaneRef
from ..snapshots import SnapshotError, SnapshotStore
from .devices import LaneDevices
from .lanes import LaneDirectory
from .offline import OfflineLanes

log = logging.getLogger(__name__)

LED_COLORS = {True: (0, 255, 0, 0), False: (255, 0, 0, 0)}  # green when the gate opens, red when it holds
def led_frames(decision: LaneDecision) -> list[bytes]:
    """OLM frames for a decision: one text window per line (the rest blanked), then the voice."""
    color = LED_COLORS[decision.open_gate]
    frames = [olm.show_text(i, olm.gb2312_safe(text), color=color, seconds=10) for i, text in enumerate(board_lines(decision))]
    frames.append(olm.speak(olm.gb2312_safe(decision.voice), option=2))
    return frames


class CameraLanes:
    """Binds the cameras of a ``VzPushHub`` to their lanes and decides each read."""

    def __init__(self, store: OccupancyStore, lanes: LaneDirectory, hub: VzPushHub, clock: Callable[[], datetime], *,
                 offline: OfflineLanes | None = None, snapshots: SnapshotStore | None = None,
                 devices: LaneDevices | None = None) -> None:
        self.store = store
        self.lanes = lanes
        self.hub = hub
        self.clock = clock
        self.offline = offline
        self.snapshots = snapshots
        self.devices = devices

    def bind(self) -> int:
        """(Re)bind every camera of the lanes in SQL; returns how many are bound."""
        lanes = self.lanes.all()
        connected = self.devices.cameras if self.devices is not None else {}
        for serial, camera in connected.items():
            if hasattr(camera, "on_result"):  # VZ TCP: results pushed on the camera's connection
                camera.on_result = lambda result, serial=serial: self.on_tcp_read(serial, result)
            else:  # Hikvision ANPR alarms through its push hub
                camera.on_read = lambda event, serial=serial: self.on_hikvision_read(serial, event)
        for serial in lanes:
            if serial not in connected:
                self.hub.camera(serial).on_read = lambda result, serial=serial: self.on_read(serial, result)
        for serial, camera in self.hub.cameras.items():
            if serial not in lanes:
                camera.on_read = None  # its lane was removed or disabled: keep the gate closed
        return len(lanes)

    @staticmethod
    def _vz_read(serial: str, result: VzPlateResult) -> PlateRead:
        return PlateRead(
            raw=result.license if result.has_plate else "",
            camera_serial=serial,
            read_id=str(result.plateid) if result.plateid else "",
            color=color_from_vz(result.color_type),
            camera_time=result.timestamp,
            offline=result.is_offline,
            confidence=result.confidence,
        )

    def on_read(self, serial: str, result: VzPlateResult) -> VzResponse:
        decision = self.decide(serial, self._vz_read(serial, result), {"scene": result.image, "plate": result.plate_image})
        if decision is None:
            return VzResponse(open_gate=False)
        return VzResponse(open_gate=decision.open_gate, serial_data=led_frames(decision))

    def on_tcp_read(self, serial: str, result: VzPlateResult) -> None:
        """A result a VZ camera sent on its TCP connection: the gate and board are driven by the lane's
        devices (the camera's IO output and RS485 pass-through)."""
        self.decide(serial, self._vz_read(serial, result), {"scene": result.image, "plate": result.plate_image})

    def on_hikvision_read(self, serial: str, event: HikAnprEvent) -> None:
        """A Hikvision ANPR alarm: decided the same way; the camera's barrier is driven over ISAPI."""
        try:
            color: PlateColor | None = PlateColor(event.plate_color)
        except ValueError:
            color = None
        stamp = event.date_time.isoformat() if event.date_time else ""
        read = PlateRead(raw=event.license if event.has_plate else "", camera_serial=serial, read_id=f"{event.license}@{stamp}",
                         color=color, camera_time=event.date_time, confidence=event.confidence)
        self.decide(serial, read, {"scene": event.detection_picture, "plate": event.plate_picture})

    def decide(self, serial: str, read: PlateRead, images: dict[str, bytes | None]) -> LaneDecision | None:
        """Decide a read at the camera's lane (offline when Redis is unreachable) and perform it on the
        lane's own devices; None when the camera belongs to no lane."""
        now = self.clock()
        lane = self.lanes.by_serial(serial)
        if lane is None:
            log.warning("camera %s is not configured on any lane; gate kept closed", serial)
            return None
        try:
            decision = handle_read(self.store, lane, read, now)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if self.offline is None:
                raise
            log.warning("lane %s decides offline: Redis unreachable (%s)", lane.code, exc)
            decision = self.offline.handle_read(lane, read, now)
        log.info("lane %s: %s%s -> %s", lane.code, read.raw or "(no plate)", " (offline record)" if read.offline else "", decision.outcome)
        if self.devices is not None:
            self.devices.perform(lane, decision)
            # Decoding and re-encoding images costs tens of milliseconds: never before the gate opens.
            self.devices.later(lane, "snapshot", lambda: self._keep_snapshots(lane, read, images, decision, now))
        else:
            self._keep_snapshots(lane, read, images, decision, now)
        return decision

    def _keep_snapshots(self, lane: LaneRef, read: PlateRead, images: dict[str, bytes | None], decision: LaneDecision, now: datetime) -> None:
        if self.snapshots is None or not any(images.values()):
            return
        ref = re.sub(r"[^A-Za-z0-9_-]", "-", str(decision.detail.get("event") or f"{read.camera_serial}-{read.read_id}"))[:64]
        saved = {}
        for kind, data in images.items():
            if not data:
                continue
            try:
                saved[kind] = self.snapshots.save(lane.lot_id, now, kind, data, ref=ref).path
            except (SnapshotError, ValueError) as exc:
                log.warning("lane %s: %s snapshot of %s not kept: %s", lane.code, kind, read.camera_serial, exc)
        if saved:
            try:
                self.store.journal(lane.lot_id, "snapshot", now, plate=decision.plate, data={"lane": lane.id, "event": ref, **saved})
            except (redis.ConnectionError, redis.TimeoutError):
                log.warning("lane %s: snapshot reference kept on disk only (Redis unreachable)", lane.code)
