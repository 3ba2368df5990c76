"""A client connection to a VZ camera's TCP port: heartbeats, commands with replies, pushed results.

    VzTcpCamera ── reader thread ──► transport.read ─► PacketDecoder ─┬─ heartbeat  → last_heard
         │                                                            ├─ ivs_result → on_read(PlateRead)
         │                                                            └─ reply      → the waiting request()
         └── request({"cmd": ...}) ─► transport.write, then waits for the reply with the same "cmd"

The connection sends a heartbeat every 2 s on its injected clock, drops the connection when the camera has
been silent for 6 s, and on every (re)connection subscribes to results again. The transport reconnects
with backoff, so a camera that is down costs one quick error per attempt, never a blocked caller.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Callable

from drivers.errors import DeviceTimeoutError, TransportError
from drivers.transport import TcpClientTransport
from drivers.vz import tcp
from drivers.interfaces import ReadHandler
from drivers.vz.push import plate_read

log = logging.getLogger(__name__)


class VzTcpCamera:
    """Plate reader and gate (camera IO output) reached over VZ TCP."""

    def __init__(self, host: str, port: int = tcp.DEFAULT_PORT, *,
                 on_read: ReadHandler | None = None,
                 clock: Callable[[], float] = time.monotonic, request_timeout: float = 2.0,
                 gate_io: int = 0, pulse_ms: int = 500, subscribe_images: bool = True,
                 transport: TcpClientTransport | None = None) -> None:
        self.transport = transport or TcpClientTransport(host, port, clock=clock)
        self.transport.on_connect = self._on_connect
        self.clock = clock
        self.on_read = on_read
        self.request_timeout = request_timeout
        self.gate_io, self.pulse_ms = gate_io, pulse_ms
        self.subscribe_images = subscribe_images
        self.serialno = ""
        self.last_heard: float | None = None
        self.last_error: str | None = None
        self._last_sent = float("-inf")
        self._decoder = tcp.PacketDecoder(on_error=self._decode_error)
        self._waiters: dict[str, queue.Queue[dict[str, Any]]] = {}
        self._request_lock = threading.Lock()
        self._rs485_ready = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._needs_subscribe = False

    # ----------------------------------------------------------------------------------- lifecycle

    def start(self) -> "VzTcpCamera":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"vz-tcp:{self.transport.host}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.transport.close()

    @property
    def online(self) -> bool:
        return self.transport.is_open and self.last_heard is not None

    def _on_connect(self, _transport: object) -> None:
        self._decoder = tcp.PacketDecoder(on_error=self._decode_error)
        self.last_heard = self.clock()
        self._rs485_ready = False
        self._needs_subscribe = True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.maintain(self.clock())
                data = self.transport.read(65536, timeout=0.1)
            except TransportError as exc:
                self.last_error = str(exc)
                self._stop.wait(0.1)
                continue
            if data:
                self.last_heard = self.clock()
                for packet in self._decoder.feed(data):
                    self._dispatch(packet)
            if self._needs_subscribe:
                self._needs_subscribe = False
                threading.Thread(target=self._subscribe, daemon=True).start()

    def maintain(self, now: float) -> None:
        """Heartbeat when due; drop a connection the camera has left silent too long."""
        if not self.transport.is_open:
            self.transport.open()
            return
        if self.last_heard is not None and now - self.last_heard > tcp.SILENCE_LIMIT:
            self.last_error = f"camera silent for {now - self.last_heard:.1f} s"
            self.transport.drop(self.last_error)
            return
        if now - self._last_sent >= tcp.HEARTBEAT_INTERVAL:
            self._send(tcp.heartbeat())

    def _subscribe(self) -> None:
        try:
            self.serialno = str(self.request(tcp.cmd_getsn()).get("value", self.serialno))
            self.request(tcp.cmd_ivsresult(True, image=self.subscribe_images))
        except (DeviceTimeoutError, TransportError) as exc:
            self.last_error = f"subscribe failed: {exc}"
            log.warning("VZ TCP %s: %s", self.transport.host, self.last_error)

    def _decode_error(self, err: Exception) -> None:
        self.last_error = str(err)
        log.warning("VZ TCP %s: %s", self.transport.host, err)

    # ------------------------------------------------------------------------------------ messages

    def _send(self, data: bytes) -> None:
        self.transport.write(data)
        self._last_sent = self.clock()

    def _dispatch(self, packet: tcp.VzPacket) -> None:
        if packet.type != tcp.TYPE_JSON:
            return
        try:
            doc = packet.json()
            if tcp.is_result(doc):
                result = tcp.decode_result(packet, self.serialno)
                if self.on_read is not None:
                    self.on_read(plate_read(result))
                return
        except Exception as exc:  # one bad packet must not stop the reader
            self._decode_error(exc)
            return
        waiter = self._waiters.get(str(doc.get("cmd")))
        if waiter is not None:
            waiter.put(doc)

    def request(self, doc: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send a JSON command and return the camera's reply (same ``cmd``), or raise DeviceTimeoutError."""
        cmd = str(doc["cmd"])
        with self._request_lock:
            waiter: queue.Queue[dict[str, Any]] = queue.Queue()
            self._waiters[cmd] = waiter
            try:
                self._send(tcp.encode_json(doc))
                try:
                    return waiter.get(timeout=self.request_timeout if timeout is None else timeout)
                except queue.Empty:
                    raise DeviceTimeoutError(f"VZ camera {self.transport.host}: no reply to {cmd!r} within "
                                             f"{self.request_timeout if timeout is None else timeout} s") from None
            finally:
                self._waiters.pop(cmd, None)

    # -------------------------------------------------------------------------------------- actions

    def trigger(self) -> None:
        self.request(tcp.cmd_trigger())

    def ioctl(self, io: int, value: int, delay_ms: int = 500) -> dict[str, Any]:
        return self.request(tcp.cmd_ioctl(io, value, delay_ms))

    def open(self) -> None:
        """Gate interface: pulse the camera IO output wired to the gate's OPEN contact."""
        self.ioctl(self.gate_io, 2, self.pulse_ms)

    def gpio(self, gpio: int = 0) -> int:
        return int(self.request(tcp.cmd_get_gpio_value(gpio)).get("value", 0))

    def send_rs485(self, data: bytes) -> None:
        """Forward bytes (e.g. OLM frames) to the camera's RS485 port."""
        if not self._rs485_ready:
            self.request(tcp.cmd_ttransmission("init"))
            self._rs485_ready = True
        self.request(tcp.cmd_ttransmission("send", data))
