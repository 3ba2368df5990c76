"""The agent's side of hand commands and device health.

``CommandListener`` hears the commands published for the agent's lots and carries each out within its
deadline, or not at all:

- a lane with its own gate device (a relay module, a Hikvision camera over ISAPI, a VZ camera over TCP)
  is commanded at once in the lane's device pool; a job that has not started by the deadline is dropped;
- a VZ push camera can only be commanded in an answer, so the command is queued on it with the deadline
  and leaves with its next heartbeat answer (``drivers.vz.push_camera``), unless the camera has not
  been heard from within ``ONLINE_SECONDS``: then nothing is queued and the lane is reported offline;
- "close" withdraws every pending "open" of the lane (each reported cancelled) before closing the gate
  where a device can close it.

Each fate is reported for the sender (``lane_commands.report``) and journaled once, final, with the
operator and reason (抬杆记录). ``report_health`` writes every camera's last-heard time and the pushes
refused for failing authentication (``OccupancyStore.devices``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from drivers.errors import DriverError, EncodeError
from drivers.vz.push_camera import VzPushCamera, VzPushHub

from ..context import LaneRef
from ..lane_display import board_lines
from ..occupancy import ONLINE_SECONDS, DeviceReport, OccupancyStore
from ..services import lane_commands
from ..services.lane_commands import LaneCommand
from ..services.lane_reads import release_held
from .devices import LaneDevices

log = logging.getLogger(__name__)


@dataclass
class _Tracked:
    command: LaneCommand
    expires_at: float  # on the listener's monotonic clock
    started: bool = False
    done: bool = False


class CommandListener:
    def __init__(self, store: OccupancyStore, hub: VzPushHub, lanes: Callable[[], Iterable[LaneRef]],
                 lot_ids: Callable[[], Iterable[int]], clock: Callable[[], datetime], devices: LaneDevices | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.hub = hub
        self.lanes = lanes
        self.lot_ids = lot_ids
        self.clock = clock
        self.devices = devices
        self.monotonic = monotonic
        self._tracked: dict[str, _Tracked] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> "CommandListener":
        self._thread = threading.Thread(target=self._run, name="lane-commands", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=5)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                subscription = self.store.commands.subscribe(list(self.lot_ids()))
                self._ready.set()
                while not self._stop.is_set():
                    self.tick()
                    raw = subscription.next(timeout=0.2)
                    if raw is None:
                        continue
                    try:
                        command = LaneCommand.from_json(raw)
                    except (ValueError, TypeError, KeyError) as exc:  # a malformed message never stops the listener
                        log.error("console command refused: %s", exc)
                        continue
                    self.handle(command)
                subscription.close()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("console commands unavailable: Redis unreachable (%s); retrying", exc)
                self._ready.set()
                self._stop.wait(1.0)

    # -- commands ----------------------------------------------------------------------------------
    def handle(self, command: LaneCommand) -> str:
        """Carry ``command`` out (or queue it with its deadline); returns its outcome so far."""
        now = self.clock()
        lane = next((l for l in self.lanes() if l.id == command.lane_id and l.lot_id == command.lot_id), None)
        if lane is None:
            return self._finish(command, "unknown_lane")
        age = _age(command, now)
        if age is not None and age > command.seconds:
            return self._finish(command, "expired", reason="heard after its deadline")
        expires_at = self.monotonic() + max(0.0, command.seconds - max(0.0, age or 0.0))
        tracked = _Tracked(command, expires_at)
        gate = self.devices.gates.get(lane.id) if self.devices is not None else None
        display = self.devices.displays.get(lane.id) if self.devices is not None else None
        camera = self.hub.cameras.get(lane.camera_serial)
        camera_online = camera is not None and camera.online(ONLINE_SECONDS)
        try:
            if command.action == "release":
                return self._release(tracked, lane, camera, camera_online, gate, display, now)
            if command.action == "close":
                cancelled = camera.cancel("open") if camera is not None else []
                with self._lock:
                    cancelled += [uid for uid, t in self._tracked.items()
                                  if t.command.lane_id == lane.id and t.command.action == "open" and not t.started and not t.done]
                for uid in cancelled:
                    self._finish_uid(uid, "cancelled", by=command.uid)
                if gate is None:
                    return self._finish(command, "not_supported", cancelled=cancelled)
                return self._on_device(tracked, lane, "gate", gate.close, cancelled=cancelled)
            if command.action == "open":
                if gate is not None:
                    return self._on_device(tracked, lane, "gate", gate.open)
                if camera is None:
                    return self._finish(command, "no_camera")
                if not camera_online:
                    return self._finish(command, "lane_offline")
                self._queue(tracked, camera, "open")
                return "pending"
            if display is not None:
                return self._on_device(tracked, lane, "display", lambda: (display.show_text(0, command.text), display.speak(command.text)))
            if camera is None:
                return self._finish(command, "no_camera")
            if not camera_online:
                return self._finish(command, "lane_offline")
            self._queue(tracked, camera, "show_text")
            return "pending"
        except EncodeError as exc:  # text the lane board cannot show (outside GB2312, too long)
            log.warning("lane %s: console text refused: %s", lane.code, exc)
            self._forget(command.uid)
            return self._finish(command, "bad_text")

    def _release(self, tracked: _Tracked, lane: LaneRef, camera: VzPushCamera | None, camera_online: bool,
                 gate: Any, display: Any, now: datetime) -> str:
        """Open for the car this lane holds, now that it has paid: only if the lane still holds that very
        car and stay, and its exit, decided again now, lets it out (the exit is then recorded)."""
        command = tracked.command
        held = self.store.held.at_lane(lane.lot_id, lane.id, now)
        if held is None or held["plate"] != command.plate or (command.session and held.get("session") != command.session):
            return self._finish(command, "not_held")
        if gate is None and (camera is None or not camera_online):
            return self._finish(command, "no_camera" if camera is None else "lane_offline")
        decision = release_held(self.store, lane, command.plate, now, reason=command.uid)
        if not decision.open_gate:
            return self._finish(command, "still_due", outcome=decision.outcome, lines=list(decision.lines))
        self.store.held.clear(lane.lot_id, lane.id, command.plate)
        lines = board_lines(decision)
        if gate is not None:
            def open_and_say() -> None:
                gate.open()
                if display is not None:
                    for i, line in enumerate(lines):
                        display.show_text(i, line)
                    if decision.voice:
                        display.speak(decision.voice)
            return self._on_device(tracked, lane, "gate", open_and_say, plate=command.plate)
        assert camera is not None
        self._queue(tracked, camera, "open", text=" ".join(line for line in lines if line)[:32], voice=decision.voice)
        return "pending"

    def _on_device(self, tracked: _Tracked, lane: LaneRef, what: str, action: Callable[[], Any], **detail: Any) -> str:
        """Run ``action`` in the lane's device pool unless its deadline passes before it starts."""
        assert self.devices is not None
        self._report(tracked.command, "pending", {})
        self._track(tracked)

        def run() -> None:
            with self._lock:
                if tracked.done or self.monotonic() >= tracked.expires_at:
                    late = not tracked.done
                    tracked.started = True
                else:
                    late = None
                    tracked.started = True
            if late is not None:
                if late:
                    self._finish_uid(tracked.command.uid, "expired", **detail)
                return
            try:
                action()
            except (DriverError, OSError) as exc:
                self._finish_uid(tracked.command.uid, "failed", error=str(exc)[:200], **detail)
                return
            self._finish_uid(tracked.command.uid, "delivered", **detail)

        self.devices.later(lane, f"command:{what}", run)
        return "pending"

    def _queue(self, tracked: _Tracked, camera: VzPushCamera, action: str, *, text: str = "", voice: str = "") -> None:
        """Queue on a push camera for its next heartbeat answer; it reports the fate back."""
        self._report(tracked.command, "pending", {})
        self._track(tracked)
        camera.on_command = self._camera_reported
        try:
            text = text or ("人工放行" if action == "open" else tracked.command.text)
            voice = voice or (tracked.command.text if action == "show_text" else "")
            camera.command(tracked.command.uid, action, text, voice=voice, seconds=tracked.expires_at - self.monotonic())
        except Exception:
            self._forget(tracked.command.uid)
            raise

    def tick(self) -> None:
        """Expire what is past its deadline: commands queued on cameras, and device jobs not yet started."""
        self.hub.expire()
        now = self.monotonic()
        with self._lock:
            late = [uid for uid, t in self._tracked.items() if not t.started and not t.done and now >= t.expires_at]
        for uid in late:
            self._finish_uid(uid, "expired")

    def _camera_reported(self, uid: str, outcome: str) -> None:
        self._finish_uid(uid, outcome)

    def _track(self, tracked: _Tracked) -> None:
        with self._lock:
            self._tracked[tracked.command.uid] = tracked

    def _forget(self, uid: str) -> None:
        with self._lock:
            self._tracked.pop(uid, None)

    def _finish_uid(self, uid: str, outcome: str, **detail: Any) -> None:
        with self._lock:
            tracked = self._tracked.get(uid)
            if tracked is None or tracked.done:
                return
            tracked.done = True
            del self._tracked[uid]
        self._finish(tracked.command, outcome, **detail)

    def _finish(self, command: LaneCommand, outcome: str, **detail: Any) -> str:
        self._report(command, outcome, detail)
        now = self.clock()
        try:
            self.store.journal(command.lot_id, "lane_command", now, data={
                "uid": command.uid, "lane": command.lane_id, "action": command.action, "text": command.text,
                "reason": command.reason, "operator": command.operator_id, "outcome": outcome, **detail,
            })
        except (redis.ConnectionError, redis.TimeoutError):
            log.warning("lane %s: command %s (%s) not journaled: Redis unreachable", command.lane_id, command.uid, outcome)
        log.info("lane %s: console command %s (%s) -> %s", command.lane_id, command.action, command.reason or command.text, outcome)
        return outcome

    def _report(self, command: LaneCommand, outcome: str, detail: dict[str, Any]) -> None:
        try:
            lane_commands.report(self.store, command, outcome, self.clock(), **detail)
        except (redis.ConnectionError, redis.TimeoutError):
            log.warning("lane %s: command %s outcome %s not reported: Redis unreachable", command.lane_id, command.uid, outcome)


def _age(command: LaneCommand, now: datetime) -> float | None:
    """Seconds since the sender issued the command, by the sender's clock; None if it gave none."""
    try:
        issued = datetime.fromisoformat(command.issued_at) if command.issued_at else None
    except ValueError:
        return None
    if issued is None or issued.tzinfo is None:
        return None
    return (now - issued).total_seconds()


def report_health(store: OccupancyStore, hub: VzPushHub, lanes: Iterable[LaneRef], now: datetime,
                  monotonic: Callable[[], float] = time.monotonic, cameras: dict[str, Any] | None = None) -> None:
    """Write each lane camera's last-heard time and refused pushes to the live store, in one round trip."""
    tick = monotonic()
    reports = []
    for lane in lanes:
        camera = (cameras or {}).get(lane.camera_serial) or hub.cameras.get(lane.camera_serial)
        heard = getattr(camera, "last_heard", None)
        refused = dict(getattr(camera, "refused", {}) or {})
        last_seen = None if heard is None else now - timedelta(seconds=tick - heard)
        reports.append(DeviceReport(lane.lot_id, lane.id, lane.camera_serial, last_seen, refused))
    store.devices.report(reports, now)

