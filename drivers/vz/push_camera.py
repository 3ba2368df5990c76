"""VZ cameras that push over HTTP, as devices: one hub per listening port, one object per camera.

    camera SN1 ─POST plateresult.php?key=K1─┐                ┌─► VzPushCamera("SN1").on_read(PlateRead) → ReadAnswer
    camera SN2 ─POST heartbeat?key=K2──────►├─ PushIngress ──┤
                                            └─ VzPushHub ────┴─► VzPushCamera("SN2"): hand commands (comet)

Authentication. Anyone on the camera network can POST, so a push or heartbeat is served only when it
comes from one of the camera's allowed source addresses (``allow``: addresses or networks; loopback
when none is configured) and carries the camera's key in the push URL's query (``?key=...``), when the
camera has one. A push that fails either is refused with 403, counted in ``refused`` by reason, never
decided and never given a command.

Answers. The answer to a plate push carries only that read's answer (``on_read`` returns a
:class:`ReadAnswer`: ``info: ok`` or an IO pulse opens the gate, ``serialData`` carries the OLM
LED/voice frames for the board). Offline records are acknowledged with ``ContinuePushOffline``; a record
the camera sends twice (same serial number, plateid and plate) gets the first answer again but is not
passed to ``on_read`` twice.

Hand commands. The answer is the only way to command a VZ camera, so ``command()`` queues a command
(open the gate, a text, a voice) with a deadline. It leaves only with the answer to a heartbeat (in
comet mode the camera re-posts at once), never with the answer to a plate read: a gate opened by hand
must open for the car the attendant is looking at, not for the next car read. A command not delivered
by its deadline expires and is never performed; ``cancel("open")`` withdraws pending opens (a hand
"close": a VZ camera has no close of its own, the gate closes by its loop). Every command's fate
(delivered, expired, cancelled) is reported through ``on_command(uid, outcome)``.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Callable
from urllib.parse import parse_qsl

from drivers import olm
from drivers.errors import DecodeError
from drivers.http_ingress import PushIngress, PushReply, PushRequest
from drivers.interfaces import PushingDevice, ReadAnswer, ReadHandler
from drivers.sources import LOOPBACK, Network, allows, parse_allow
from drivers.vz.heartbeat import decode_heartbeat
from drivers.vz.push import (
    HEARTBEAT_PATH,
    PLATE_RESULT_PATH,
    VzResponse,
    decode_plate_result,
    encode_response,
    plate_read,
)

log = logging.getLogger(__name__)

COMMAND_SECONDS = 5.0  # a hand command not delivered within this many seconds expires
UNKNOWN_CAMERAS = 256  # distinct unknown serial numbers remembered (the oldest forgotten first)
CommandHandler = Callable[[str, str], None]


@dataclass
class _Command:
    uid: str
    action: str  # open | show_text | speak
    answer: VzResponse
    expires_at: float


class VzPushCamera(PushingDevice):
    """Plate reader, gate (``info: ok`` or an IO pulse) and display (``serialData`` → OLM board)."""

    def __init__(self, serialno: str, *, on_read: ReadHandler | None = None, gate_io: int | None = None,
                 pulse_ms: int = 500, board_address: int = 0, key: str = "", allow: str | Iterable[str] = "",
                 command_seconds: float = COMMAND_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.serialno = serialno
        self.on_read = on_read
        self.on_command: CommandHandler | None = None
        self.gate_io, self.pulse_ms = gate_io, pulse_ms
        self.board_address = board_address
        self.key = key
        self.allow: tuple[Network, ...] = parse_allow(allow) if allow else LOOPBACK
        self.command_seconds = command_seconds
        self.clock = clock
        self.last_heard: float | None = None
        self.refused: dict[str, int] = {}
        self._pending: list[_Command] = []
        self._lock = threading.Lock()

    def configure(self, *, gate_io: int | None, pulse_ms: int = 500, board_address: int = 0, key: str = "",
                  allow: str | Iterable[str] = "") -> None:
        """Apply the settings of the camera's device URL (re-read when the lanes are reloaded)."""
        self.allow = parse_allow(allow) if allow else LOOPBACK
        self.gate_io, self.pulse_ms, self.board_address, self.key = gate_io, pulse_ms, board_address, key

    # ----------------------------------------------------------------------------- authentication

    def admits(self, req: PushRequest) -> str | None:
        """None if the request is this camera's own; otherwise why it is refused (and it is counted)."""
        reason = None
        if not allows(self.allow, req.client_address[0]):
            reason = "source"
        elif self.key:
            given = dict(parse_qsl(req.query, keep_blank_values=True)).get("key", "")
            if not hmac.compare_digest(given.encode("utf-8", "replace"), self.key.encode("utf-8")):
                reason = "key"
        if reason is not None:
            with self._lock:
                self.refused[reason] = self.refused.get(reason, 0) + 1
        return reason

    # ------------------------------------------------------------------------------- hand commands

    def command(self, uid: str, action: str, text: str = "", *, voice: str = "", seconds: float | None = None) -> None:
        """Queue a hand command (``open``, with ``text`` for the board if given; ``show_text`` on line 0;
        ``speak``), with ``voice`` spoken as well, for the next heartbeat answer; it expires ``seconds`` (default ``command_seconds``)
        from now. ``EncodeError`` if the board cannot show the text."""
        answer = VzResponse()
        if action == "open":
            if self.gate_io is None:
                answer.open_gate = True
            else:
                answer.ioctrl = (self.gate_io, 2, self.pulse_ms)
            if text:  # what the board says while the gate opens by hand
                answer.serial_data.append(olm.show_text(0, text, color=olm.GREEN, seconds=10, address=self.board_address))
        elif action == "show_text":
            answer.serial_data.append(olm.show_text(0, text, color=olm.RED, seconds=10, address=self.board_address))
        elif action == "speak":
            answer.serial_data.append(olm.speak(text, address=self.board_address))
        else:
            raise ValueError(f"action {action!r}: expected open, show_text or speak")
        if voice:
            answer.serial_data.append(olm.speak(voice, address=self.board_address))
        expires = self.clock() + (self.command_seconds if seconds is None else seconds)
        with self._lock:
            self._pending.append(_Command(uid, action, answer, expires))

    def cancel(self, action: str = "open") -> list[str]:
        """Withdraw every pending command of ``action``; returns their uids (each reported cancelled)."""
        with self._lock:
            gone = [c for c in self._pending if c.action == action]
            self._pending = [c for c in self._pending if c.action != action]
        self._report(gone, "cancelled")
        return [c.uid for c in gone]

    def expire(self) -> list[str]:
        """Drop the commands past their deadline; returns their uids (each reported expired)."""
        now = self.clock()
        with self._lock:
            late = [c for c in self._pending if c.expires_at <= now]
            self._pending = [c for c in self._pending if c.expires_at > now]
        self._report(late, "expired")
        return [c.uid for c in late]

    def pending(self) -> list[str]:
        with self._lock:
            return [c.uid for c in self._pending]

    def take_commands(self) -> VzResponse:
        """The live pending commands merged into one answer; they are reported delivered, the late
        ones expired, and the queue is emptied."""
        self.expire()
        with self._lock:
            due, self._pending = self._pending, []
        answer = VzResponse()
        for c in due:
            answer.open_gate = answer.open_gate or c.answer.open_gate
            answer.ioctrl = answer.ioctrl or c.answer.ioctrl
            answer.serial_data.extend(c.answer.serial_data)
        self._report(due, "delivered")
        return answer

    def _report(self, commands: list[_Command], outcome: str) -> None:
        handler = self.on_command
        for c in commands:
            if handler is not None and c.uid:
                try:
                    handler(c.uid, outcome)
                except Exception:  # a failing report must not lose the answer to the camera
                    log.exception("camera %s: report of command %s failed", self.serialno, c.uid)

    # Gate and Display (drivers.interfaces): a hand command each, with the default deadline.
    def open(self) -> None:
        self.command("", "open")

    def close(self) -> None:
        """A VZ camera has no CLOSE of its own; the gate closes by its loop. Pending opens are withdrawn."""
        self.cancel("open")

    def show_text(self, line: int, text: str, *, color: tuple[int, int, int, int] = olm.RED,
                  seconds: int = 10) -> None:
        self.command("", "show_text", text)

    def speak(self, text: str) -> None:
        self.command("", "speak", text)

    # ------------------------------------------------------------------------------------- answers

    def answer(self, decided: ReadAnswer | None) -> VzResponse:
        """The camera's answer to a read: gate and board frames for the board behind its RS485 port."""
        if decided is None:
            return VzResponse()
        resp = VzResponse()
        if decided.open_gate:
            if self.gate_io is None:
                resp.open_gate = True
            else:
                resp.ioctrl = (self.gate_io, 2, self.pulse_ms)
        for line, text in enumerate(decided.lines):
            resp.serial_data.append(olm.show_text(line, olm.gb2312_safe(text), color=decided.color, seconds=10,
                                                  address=self.board_address))
        if decided.voice:
            resp.serial_data.append(olm.speak(olm.gb2312_safe(decided.voice), option=2, address=self.board_address))
        return resp


class VzPushHub:
    """Routes VZ pushes on one port to the camera objects registered by serial number."""

    def __init__(self, host: str = "0.0.0.0", port: int = 8090, *, dedupe_window: int = 1024,
                 max_body_bytes: int = 4 * 1024 * 1024) -> None:
        self.host, self.port = host, port
        self.max_body_bytes = max_body_bytes
        self.cameras: dict[str, VzPushCamera] = {}
        self.unknown: OrderedDict[str, int] = OrderedDict()  # bounded: UNKNOWN_CAMERAS serials at most
        self.unknown_total = 0
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

    def _unknown(self, serialno: str) -> PushReply:
        with self._lock:
            self.unknown_total += 1
            self.unknown[serialno] = self.unknown.pop(serialno, 0) + 1
            while len(self.unknown) > UNKNOWN_CAMERAS:
                self.unknown.popitem(last=False)
        return PushReply(body=encode_response(VzResponse()))

    def _camera_for(self, serialno: str, req: PushRequest) -> tuple[VzPushCamera | None, PushReply | None]:
        cam = self.cameras.get(serialno)
        if cam is None:
            return None, self._unknown(serialno)
        refusal = cam.admits(req)
        if refusal is not None:
            log.warning("VZ push for camera %s from %s refused: %s", serialno, req.client_address[0],
                        "source address not allowed" if refusal == "source" else "wrong or missing key")
            return None, _error(403, "source address not allowed" if refusal == "source" else "wrong or missing key")
        cam.last_heard = cam.clock()
        return cam, None

    def handle_plate(self, req: PushRequest) -> PushReply:
        try:
            result = decode_plate_result(req.body)
        except DecodeError as exc:
            log.warning("VZ push from %s rejected: %s", req.client_address[0], exc)
            return _error(400, str(exc))
        cam, refused = self._camera_for(result.serialno, req)
        if cam is None:
            assert refused is not None
            return refused
        # The plate is part of the key: a camera that restarts may count its plateids from 1 again.
        key = (result.serialno, result.plateid, result.license)
        with self._lock:
            repeat = self._seen.get(key) if result.plateid else None
        if repeat is not None:
            return PushReply(body=encode_response(repeat))
        resp = cam.answer(cam.on_read(plate_read(result)) if cam.on_read else None)
        if result.is_offline:
            resp.continue_offline_plateid = result.plateid
        with self._lock:
            # A camera re-sends a push whose answer it lost: the same answer (gate, display) goes out again.
            self._seen[key] = replace(resp, serial_data=list(resp.serial_data))
            while len(self._seen) > self._window:
                self._seen.popitem(last=False)
        return PushReply(body=encode_response(resp))

    def handle_heartbeat(self, req: PushRequest) -> PushReply:
        try:
            beat = decode_heartbeat(req.body, req.headers.get("Content-Type", ""))
        except DecodeError as exc:
            return _error(400, str(exc))
        cam, refused = self._camera_for(beat.serialno, req)
        if cam is None:
            assert refused is not None
            return refused
        return PushReply(body=encode_response(cam.take_commands()))

    def expire(self) -> None:
        """Expire every camera's late commands (called periodically, so a silent camera's commands
        are reported expired at their deadline, not at its next heartbeat)."""
        for cam in list(self.cameras.values()):
            cam.expire()


def _error(status: int, message: str) -> PushReply:
    return PushReply(status, body=json.dumps({"error": message}, ensure_ascii=False).encode("utf-8"))
