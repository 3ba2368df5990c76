"""Lane controllers for cameras of every kind: a plate read in, a gate and LED command out.

Every camera kind (VZ push, VZ TCP, Hikvision ANPR) delivers the same ``drivers.interfaces.PlateRead``
through the same ``on_read`` callback. This module binds each camera to its lane from SQL (with, for a
VZ push camera, the source addresses it may push from and its key), decides each read with
``parking.services.lane_reads`` (or, while Redis is unreachable, with the offline lanes) and answers with
a ``ReadAnswer``: a VZ push camera carries it in its HTTP answer (``"info":"ok"`` and the OLM frames of
the board behind it); the lane's own gate and display devices perform it off the camera's path. The
camera's snapshots are stored (``parking.snapshots``) and referenced from the journal.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import redis

from drivers import olm
from drivers.errors import UnsupportedURLError
from drivers.interfaces import PlateRead, ReadAnswer
from drivers.registry import parse_device_url
from drivers.vz.push import HEARTBEAT_PATH, PLATE_RESULT_PATH
from drivers.sources import LOOPBACK, parse_allow
from drivers.vz.push_camera import VzPushHub

from ..context import LaneRef
from ..lane_display import LaneDecision, board_lines
from ..occupancy import OccupancyStore
from ..services.lane_reads import RAW_SHOWN, handle_read
from ..snapshots import SnapshotError, SnapshotStore
from .devices import PUSH_CAMERA_SCHEME, LaneDevices
from .lanes import LaneDirectory
from .offline import OfflineLanes

log = logging.getLogger(__name__)

LED_COLORS = {True: olm.GREEN, False: olm.RED}  # green when the gate opens, red when it holds


def read_answer(decision: LaneDecision) -> ReadAnswer:
    """What the lane answers: the gate, one board line per window (the rest blanked), the voice."""
    return ReadAnswer(decision.open_gate, tuple(board_lines(decision)), decision.voice, LED_COLORS[decision.open_gate])


def camera_key(secret: bytes, serial: str) -> str:
    """The key a camera's push URLs carry when its device URL names none: derived from the instance's
    secret, so it is stable across restarts and differs per camera."""
    return hmac.new(secret, f"camera-key:{serial}".encode(), hashlib.sha256).hexdigest()[:24]


def push_camera_settings(lane: LaneRef, secret: bytes) -> dict[str, Any]:
    """gate_io, board, key and allowed sources of a lane's VZ push camera, from its device URL
    (``UnsupportedURLError`` for a bad one)."""
    url = next((u for kind, u in lane.devices if kind == "camera" and u.startswith(PUSH_CAMERA_SCHEME)), None)
    if url is None:
        return {"gate_io": None, "key": camera_key(secret, lane.camera_serial)}
    u = parse_device_url(url, {"serial", "gate_io", "pulse_ms", "board", "key", "allow"})
    return {
        "gate_io": u.get_optional_int("gate_io", None), "pulse_ms": u.get_int("pulse_ms", 500), "board_address": u.get_int("board", 0),
        "key": u.options.get("key") or camera_key(secret, lane.camera_serial), "allow": u.options.get("allow", ""),
    }


def camera_urls(lane: LaneRef, agent_base: str, secret: bytes) -> dict[str, Any]:
    """What to enter on a lane's VZ push camera: its result and heartbeat URLs with its key, and the
    source addresses the agent accepts from it; {} for a camera the agent reaches itself."""
    if lane.devices and not any(kind == "camera" and url.startswith(PUSH_CAMERA_SCHEME) for kind, url in lane.devices):
        return {}
    settings = push_camera_settings(lane, secret)
    query = f"?{urlencode({'key': settings['key']})}"
    allow = settings.get("allow") or ""
    return {"push_url": f"{agent_base}{PLATE_RESULT_PATH}{query}", "heartbeat_url": f"{agent_base}{HEARTBEAT_PATH}{query}",
            "allow": [str(n) for n in parse_allow(allow)] if allow else [str(n) for n in LOOPBACK]}


class CameraLanes:
    """Binds every camera of the site's lanes to its lane and decides each read."""

    def __init__(self, store: OccupancyStore, lanes: LaneDirectory, hub: VzPushHub, clock: Callable[[], datetime], *,
                 offline: OfflineLanes | None = None, snapshots: SnapshotStore | None = None,
                 devices: LaneDevices | None = None, secret: bytes = b"") -> None:
        self.store = store
        self.lanes = lanes
        self.hub = hub
        self.clock = clock
        self.offline = offline
        self.snapshots = snapshots
        self.devices = devices
        self.secret = secret

    def bind(self) -> int:
        """(Re)bind every camera of the lanes in SQL; returns how many are bound."""
        lanes = self.lanes.all()
        connected = self.devices.cameras if self.devices is not None else {}
        for serial, camera in connected.items():
            # The lane knows its camera by the serial in SQL, whatever id the camera's family reads by.
            camera.on_read = lambda read, serial=serial: self.on_read(replace(read, device=serial))
        for serial, lane in lanes.items():
            if serial in connected:
                continue
            camera = self.hub.camera(serial)
            try:
                camera.configure(**push_camera_settings(lane, self.secret))
            except (UnsupportedURLError, ValueError) as exc:
                log.error("lane %s: camera %s not bound, its device URL is invalid: %s", lane.code, serial, exc)
                camera.on_read = None
                continue
            camera.on_read = self.on_read
        for serial, camera in self.hub.cameras.items():
            if serial not in lanes:
                camera.on_read = None  # its lane was removed or disabled: keep the gate closed
        return len(lanes)

    def on_read(self, read: PlateRead) -> ReadAnswer | None:
        decision = self.decide(read)
        return None if decision is None else read_answer(decision)

    def decide(self, read: PlateRead) -> LaneDecision | None:
        """Decide a read at the camera's lane (offline when Redis is unreachable) and perform it on the
        lane's own devices; None when the camera belongs to no lane."""
        now = self.clock()
        lane = self.lanes.by_serial(read.device)
        if lane is None:
            log.warning("camera %s is not configured on any lane; gate kept closed", read.device[:64])
            return None
        images = {"scene": read.image, "plate": read.plate_image}
        try:
            decision = handle_read(self.store, lane, read, now)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if self.offline is None:
                raise
            log.warning("lane %s decides offline: Redis unreachable (%s)", lane.code, exc)
            decision = self.offline.handle_read(lane, read, now)
        log.info("lane %s: %s%s -> %s", lane.code, read.license[:RAW_SHOWN] or "(no plate)", " (offline record)" if read.offline else "",
                 decision.outcome)
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
        ref = re.sub(r"[^A-Za-z0-9_-]", "-", str(decision.detail.get("event") or f"{read.device}-{read.event_id}"))[:64]
        saved = {}
        for kind, data in images.items():
            if not data:
                continue
            try:
                saved[kind] = self.snapshots.save(lane.lot_id, now, kind, data, ref=ref).path
            except (SnapshotError, ValueError) as exc:
                log.warning("lane %s: %s snapshot of %s not kept: %s", lane.code, kind, read.device, exc)
        if saved:
            try:
                self.store.journal(lane.lot_id, "snapshot", now, plate=decision.plate, data={"lane": lane.id, "event": ref, **saved})
            except (redis.ConnectionError, redis.TimeoutError):
                log.warning("lane %s: snapshot reference kept on disk only (Redis unreachable)", lane.code)

