"""VZ cameras that push over HTTP, as devices: one hub per listening port, one object per camera.

    camera SN1 ─POST plateresult.php─┐                ┌─► VzPushCamera("SN1").on_read(result) → decision
    camera SN2 ─POST heartbeat──────►├─ PushIngress ──┤
                                     └─ VzPushHub ────┴─► VzPushCamera("SN2"): pending commands (comet)

The camera's answer is the only way to command it, so ``open()``, ``show_text()`` and ``speak()`` queue
a command that leaves with the next answer: to a plate push or, in comet mode, to the heartbeat that
follows within moments. ``on_read`` returns the :class:`VzResponse` for that read (or None: keep closed).
Offline records are acknowledged with ``ContinuePushOffline``; a record the camera sends twice
(same serial number, plateid and plate) gets the first answer again but is not passed to ``on_read`` twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Callable

from drivers import olm
from drivers.errors import DecodeError
from drivers.http_ingress import PushIngress, PushReply, PushRequest
from drivers.interfaces import PushingDevice
from drivers.vz.heartbeat import decode_heartbeat
from drivers.vz.push import (
    HEARTBEAT_PATH,
    PLATE_RESULT_PATH,
    VzPlateResult,
    VzResponse,
    decode_plate_result,
    encode_response,
)

log = logging.getLogger(__name__)

ReadHandler = Callable[[VzPlateResult], "VzResponse | None"]


class VzPushCamera(PushingDevice):
    """Plate reader, gate (``info: ok`` or an IO pulse) and display (``serialData`` → OLM board)."""

    def __init__(self, serialno: str, *, on_read: ReadHandler | None = None, gate_io: int | None = None,
                 pulse_ms: int = 500, board_address: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self.serialno = serialno
        self.on_read = on_read
        self.gate_io, self.pulse_ms = gate_io, pulse_ms
        self.board_address = board_address
        self.clock = clock
        self.last_heard: float | None = None
        self._pending = VzResponse()
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- commands for the next answer

    def open(self) -> None:
        with self._lock:
            if self.gate_io is None:
                self._pending.open_gate = True
            else:
                self._pending.ioctrl = (self.gate_io, 2, self.pulse_ms)

    def close(self) -> None:
        """A VZ camera has no CLOSE of its own; the gate closes by its loop. Nothing is queued."""

    def send_serial(self, data: bytes) -> None:
        with self._lock:
            self._pending.serial_data.append(bytes(data))

    def show_text(self, line: int, text: str, *, color: tuple[int, int, int, int] = olm.RED,
                  seconds: int = 10) -> None:
        self.send_serial(olm.show_text(line, text, color=color, seconds=seconds, address=self.board_address))

    def speak(self, text: str) -> None:
        self.send_serial(olm.speak(text, address=self.board_address))

    def take_pending(self, into: VzResponse | None = None) -> VzResponse:
        """The queued commands merged into ``into`` (a fresh answer if None); the queue is emptied."""
        resp = into or VzResponse()
        with self._lock:
            p, self._pending = self._pending, VzResponse()
        resp.open_gate = resp.open_gate or p.open_gate
        resp.serial_data = list(resp.serial_data) + p.serial_data
        resp.ioctrl = resp.ioctrl or p.ioctrl
        resp.manual_trigger = resp.manual_trigger or p.manual_trigger
        return resp


class VzPushHub:
    """Routes VZ pushes on one port to the camera objects registered by serial number."""

    def __init__(self, host: str = "0.0.0.0", port: int = 8090, *, dedupe_window: int = 1024,
                 max_body_bytes: int = 4 * 1024 * 1024) -> None:
        self.host, self.port = host, port
        self.max_body_bytes = max_body_bytes
        self.cameras: dict[str, VzPushCamera] = {}
        self.unknown: dict[str, int] = {}
        self._seen: OrderedDict[tuple[str, int, str], VzResponse] = OrderedDict()
        self._window = dedupe_window
        self._lock = threading.Lock()
        self.ingress: PushIngress | None = None

    def camera(self, serialno: str, **kwargs: object) -> VzPushCamera:
        cam = self.cameras.get(serialno)
        if cam is None:
            cam = self.cameras[serialno] = VzPushCamera(serialno, **kwargs)  # type: ignore[arg-type]
        return cam

    def routes(self) -> dict[str, Callable[[PushRequest], PushReply]]:
        return {PLATE_RESULT_PATH: self.handle_plate, HEARTBEAT_PATH: self.handle_heartbeat}

    def start(self) -> PushIngress:
        self.ingress = PushIngress(self.host, self.port, self.routes(), max_body_bytes=self.max_body_bytes).start()
        return self.ingress

    def shutdown(self) -> None:
        if self.ingress is not None:
            self.ingress.shutdown()

    def handle_plate(self, req: PushRequest) -> PushReply:
        try:
            result = decode_plate_result(req.body)
        except DecodeError as exc:
            log.warning("VZ push from %s rejected: %s", req.client_address[0], exc)
            return PushReply(400, body=b'{"error":' + _json_str(str(exc)) + b"}")
        cam = self.cameras.get(result.serialno)
        if cam is None:
            self.unknown[result.serialno] = self.unknown.get(result.serialno, 0) + 1
            return PushReply(body=encode_response(VzResponse()))
        cam.last_heard = cam.clock()
        # The plate is part of the key: a camera that restarts may count its plateids from 1 again.
        key = (result.serialno, result.plateid, result.license)
        with self._lock:
            repeat = self._seen.get(key) if result.plateid else None
        if repeat is not None:
            return PushReply(body=encode_response(repeat))
        decision = (cam.on_read(result) if cam.on_read else None) or VzResponse()
        if result.is_offline:
            decision.continue_offline_plateid = result.plateid
        # A camera re-sends a push whose answer it lost: the same answer (gate, display) goes out again.
        first = replace(decision, serial_data=list(decision.serial_data))
        resp = cam.take_pending(decision)
        with self._lock:
            self._seen[key] = first
            while len(self._seen) > self._window:
                self._seen.popitem(last=False)
        return PushReply(body=encode_response(resp))

    def handle_heartbeat(self, req: PushRequest) -> PushReply:
        try:
            beat = decode_heartbeat(req.body, req.headers.get("Content-Type", ""))
        except DecodeError as exc:
            return PushReply(400, body=b'{"error":' + _json_str(str(exc)) + b"}")
        cam = self.cameras.get(beat.serialno)
        if cam is None:
            self.unknown[beat.serialno] = self.unknown.get(beat.serialno, 0) + 1
            return PushReply(body=encode_response(VzResponse()))
        cam.last_heard = cam.clock()
        return PushReply(body=encode_response(cam.take_pending()))


def _json_str(text: str) -> bytes:
    import json
    return json.dumps(text, ensure_ascii=False).encode("utf-8")
