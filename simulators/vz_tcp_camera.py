"""A simulated VZ camera serving the TCP protocol (port 8131 on a real camera, any port here).

It answers ``getsn``, ``ivsresult``, ``trigger``, ``ioctl``, ``get_gpio_value`` and ``ttransmission``,
echoes heartbeats, pushes recognitions to every subscribed connection, and records what it was told:
IO commands, and the RS485 bytes forwarded with ``ttransmission`` decoded as OLM frames.
"""

from __future__ import annotations

import itertools
import socket
import threading
from datetime import datetime, timezone
from typing import Any, Callable

from drivers.olm import FrameDecoder, OlmFrame
from drivers.transport import TcpServer
from drivers.vz import tcp
from drivers.vz.push import VzPlateResult


class VzTcpCameraSimulator:
    def __init__(self, serialno: str, host: str = "127.0.0.1", port: int = 0, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 answer_heartbeats: bool = True) -> None:
        self.serialno = serialno
        self.clock = clock
        self.answer_heartbeats = answer_heartbeats
        self.ioctls: list[tuple[int, int, int]] = []
        self.rs485_frames: list[OlmFrame] = []
        self.heartbeats = 0
        self.commands: list[str] = []
        self.gpio_values = {0: 0, 1: 0}
        self._rs485 = FrameDecoder()
        self._subscribers: dict[socket.socket, bool] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.event = threading.Condition()
        self._server = TcpServer(host, port, self._serve)

    @property
    def server_address(self) -> tuple[str, int]:
        return self._server.server_address

    def start(self) -> "VzTcpCameraSimulator":
        self._server.start()
        return self

    def shutdown(self) -> None:
        self._server.shutdown()

    def disconnect_all(self) -> None:
        self._server.disconnect_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Block until ``predicate()`` holds after some received packet, or ``timeout`` passes."""
        with self.event:
            return self.event.wait_for(predicate, timeout)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def push_plate(self, license: str, color_type: int = 1, plate_type: int = 1, *,
                   image: bytes | None = None) -> int:
        """Send a recognition to each subscribed connection; return how many got it."""
        result = VzPlateResult(serialno=self.serialno, channel=0, device_name="IVS", ipaddr="127.0.0.1",
                               license=license, color_type=color_type, plate_type=plate_type, confidence=95,
                               plateid=next(self._ids), timestamp=self.clock(), image=image)
        with self._lock:
            targets = [(conn, images) for conn, images in self._subscribers.items()]
        sent = 0
        for conn, images in targets:
            packet = tcp.encode_result(result if images else _without_image(result))
            try:
                conn.sendall(packet)
                sent += 1
            except OSError:
                pass
        return sent

    def _serve(self, conn: socket.socket, _addr: tuple[str, int]) -> None:
        decoder = tcp.PacketDecoder()
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for packet in decoder.feed(data):
                    reply = self._answer(conn, packet)
                    if reply:
                        conn.sendall(reply)
                    with self.event:
                        self.event.notify_all()
        finally:
            with self._lock:
                self._subscribers.pop(conn, None)

    def _answer(self, conn: socket.socket, packet: tcp.VzPacket) -> bytes | None:
        if packet.type == tcp.TYPE_HEARTBEAT:
            self.heartbeats += 1
            return tcp.heartbeat() if self.answer_heartbeats else None
        if packet.type != tcp.TYPE_JSON:
            return None
        doc = packet.json()
        cmd = str(doc.get("cmd"))
        self.commands.append(cmd)
        reply: dict[str, Any] = {"cmd": cmd, "state_code": 200}
        if cmd == "getsn":
            reply["value"] = self.serialno
        elif cmd == "ivsresult":
            with self._lock:
                if doc.get("enable"):
                    self._subscribers[conn] = bool(doc.get("image", True))
                else:
                    self._subscribers.pop(conn, None)
        elif cmd == "ioctl":
            self.ioctls.append((int(doc["io"]), int(doc["value"]), int(doc.get("delay", 0))))
        elif cmd == "get_gpio_value":
            reply["value"] = self.gpio_values.get(int(doc.get("gpio", 0)), 0)
        elif cmd == "ttransmission" and doc.get("subcmd") == "send":
            self.rs485_frames.extend(self._rs485.feed(tcp.ttransmission_data(doc)))
        elif cmd not in ("trigger", "ttransmission"):
            reply["state_code"] = 400
        return tcp.encode_json(reply, packet.sn)


def _without_image(result: VzPlateResult) -> VzPlateResult:
    from dataclasses import replace
    return replace(result, image=None, plate_image=None)
