"""Gates and displays a lane has besides its camera, opened from their URLs in SQL (``drivers.registry``):
a Modbus relay module on the gate contacts, an OLM board on its own RS485 line or converter.

A lane's decision is performed on them in a small worker pool, after the camera has been answered, so a
slow or silent device never delays the camera's answer or another lane; a failure is logged and kept as
the device's last error for the health report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from drivers import olm
from drivers.errors import DriverError
from drivers.interfaces import Display, Gate, PlateReader
from drivers.registry import Registry

from ..lane_display import LaneDecision, board_lines
from ..context import LaneRef

log = logging.getLogger(__name__)

PUSH_CAMERA_SCHEME = "vz-http"  # reached through the agent's VZ push hub, not opened here
CONNECTED_CAMERA_SCHEMES = ("hik-http", "vz-tcp")  # opened here; they deliver reads by callback


class LaneDevices:
    def __init__(self, registry: Registry | None = None, workers: int = 4) -> None:
        self.registry = registry or Registry()
        self.gates: dict[int, Any] = {}
        self.displays: dict[int, Any] = {}
        self.cameras: dict[str, Any] = {}  # camera serial -> a Hikvision or VZ TCP camera opened from its URL
        self.errors: dict[str, str] = {}
        self._opened: dict[str, Any] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lane-device")
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()

    def bind(self, lanes: Iterable[LaneRef]) -> int:
        """Open the gate and display devices of every lane (once per URL); returns how many are bound."""
        gates: dict[int, Gate] = {}
        displays: dict[int, Display] = {}
        cameras: dict[str, PlateReader] = {}
        for lane in lanes:
            for kind, url in sorted(lane.devices, key=lambda d: d[0] != "camera"):  # the camera first
                if kind == "camera" and url.startswith(CONNECTED_CAMERA_SCHEMES):
                    camera = self._open(url)
                    if camera is None:
                        continue
                    cameras[lane.camera_serial] = camera
                    gates[lane.id] = camera  # the camera drives its own barrier (ISAPI, or its IO output)
                    if hasattr(camera, "send_rs485"):
                        displays[lane.id] = Rs485Board(camera)  # an LED board on the camera's RS485 port
                    continue
                if kind not in {"gate", "display"} or url.startswith(PUSH_CAMERA_SCHEME):
                    continue
                device = self._open(url)
                if device is not None:  # a lane's own relay or board takes over from the camera's
                    (gates if kind == "gate" else displays)[lane.id] = device
        with self._lock:
            self.gates, self.displays, self.cameras = gates, displays, cameras
        return len(gates) + len(displays)

    def _open(self, url: str) -> Any:
        if url in self._opened:
            return self._opened[url]
        try:
            device = self.registry.open(url)
        except (DriverError, ValueError, OSError) as exc:
            self.errors[url] = str(exc)
            log.error("device %s cannot be opened: %s", url, exc)
            return None
        self._opened[url] = device
        if url.startswith("vz-tcp"):
            device.start()  # connects, subscribes to results and keeps the connection alive by itself
        return device

    def perform(self, lane: LaneRef, decision: LaneDecision) -> list[Future[None]]:
        """Open the lane's gate (when the decision opens) and show the decision on its display."""
        with self._lock:
            gate, display = self.gates.get(lane.id), self.displays.get(lane.id)
        jobs = []
        if gate is not None and decision.open_gate:
            jobs.append(self._submit(lane, "gate", gate.open))
        if display is not None:
            jobs.append(self._submit(lane, "display", lambda: _show(display, decision)))
        return jobs

    def open_gate(self, lane_id: int) -> Future[None] | None:
        with self._lock:
            gate = self.gates.get(lane_id)
        return None if gate is None else self._submit(None, "gate", gate.open)

    def later(self, lane: LaneRef, what: str, action: Callable[[], object]) -> Future[None]:
        """Run other work of a lane (storing its snapshots) in the same pool, off the camera's path."""
        return self._submit(lane, what, action)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait for every device action queued so far; False if some are still running at ``timeout``."""
        with self._lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=timeout)
        return not not_done

    def _submit(self, lane: LaneRef | None, what: str, action: Callable[[], object]) -> Future[None]:
        job = self._pool.submit(self._run, lane, what, action)
        with self._lock:
            self._pending.add(job)
        job.add_done_callback(self._forget)
        return job

    def _forget(self, job: Future[None]) -> None:
        with self._lock:
            self._pending.discard(job)

    def _run(self, lane: LaneRef | None, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except (DriverError, OSError) as exc:
            where = lane.code if lane else "console"
            self.errors[f"{where}:{what}"] = str(exc)
            log.error("lane %s: %s failed: %s", where, what, exc)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
        for device in self._opened.values():
            for name in ("shutdown", "stop"):
                method = getattr(device, name, None)
                if callable(method):
                    try:
                        method()
                    except (DriverError, OSError):
                        pass
                    break


class Rs485Board:
    """An OLM board reached through a VZ TCP camera's RS485 pass-through (``ttransmission``)."""

    def __init__(self, camera: Any, address: int = 0) -> None:
        self.camera = camera
        self.address = address

    def show_text(self, line: int, text: str) -> None:
        self.camera.send_rs485(olm.show_text(line, olm.gb2312_safe(text), address=self.address))

    def speak(self, text: str) -> None:
        self.camera.send_rs485(olm.speak(olm.gb2312_safe(text), address=self.address))


def _show(display: Display, decision: LaneDecision) -> None:
    for line, text in enumerate(board_lines(decision)):
        display.show_text(line, text)
    display.speak(decision.voice)
