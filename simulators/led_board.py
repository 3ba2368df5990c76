"""A simulated OLM LED / voice board: answers frames with ACKs on a pty or over TCP, renders to PNG.

``handle(frame)`` is the pure core: it updates what the board shows, says and switches, and returns
the ACK. ``serve_pty()`` and ``serve_tcp()`` put it on a line. ``silent_next`` / ``nak_next`` make it
ignore or refuse the next N frames, for the driver's retry paths. ``render_png()`` draws the lines in
their colours (a CJK font if the machine has one, else pinyin for Chinese characters).
"""

from __future__ import annotations

import io
import os
import select
import socket
import threading
import tty
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image, ImageDraw

from drivers import olm
from drivers.transport import TcpServer
from simulators.snapshot import _font, printable


@dataclass
class BoardState:
    lines: dict[int, tuple[str, tuple[int, int, int, int], int]] = field(default_factory=dict)
    spoken: list[str] = field(default_factory=list)
    relays: list[tuple[int, int]] = field(default_factory=list)   # (channel, seconds)
    free_spaces: int | None = None
    clock: datetime | None = None
    brightness: int = 100
    volume: int = 100


class LedBoardSimulator:
    def __init__(self, address: int = 0, *, line_count: int = 4) -> None:
        self.address = address
        self.line_count = line_count
        self.state = BoardState()
        self.frames: list[olm.OlmFrame] = []
        self.silent_next = 0
        self.nak_next = 0
        self.received = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._fds: list[int] = []
        self._tcp: TcpServer | None = None

    # ------------------------------------------------------------------------------------ protocol

    def handle(self, frame: olm.OlmFrame) -> bytes:
        """Apply one command; return the ACK to send (empty when the board stays silent)."""
        if frame.address != self.address:
            return b""
        with self.received:
            self.frames.append(frame)
            self.received.notify_all()
        if self.silent_next > 0:
            self.silent_next -= 1
            return b""
        if self.nak_next > 0:
            self.nak_next -= 1
            return olm.encode_ack(frame.cmd, 1, self.address)
        ok = self._apply(frame)
        return olm.encode_ack(frame.cmd, olm.ACK_OK if ok else 2, self.address)

    def _apply(self, f: olm.OlmFrame) -> bool:
        s, d = self.state, f.data
        try:
            if f.cmd == olm.CMD_SHOW_TEXT:
                text = d[19:19 + d[17]].decode("gb2312")
                s.lines[d[0]] = (text, (d[9], d[10], d[11], d[12]), d[4])
            elif f.cmd == olm.CMD_SPEAK:
                s.spoken.append(d[1:].decode("gb2312"))
            elif f.cmd == olm.CMD_STOP_SPEAKING:
                s.spoken.append("")
            elif f.cmd == olm.CMD_RELAY:
                s.relays.append((d[0], d[5]))
            elif f.cmd == olm.CMD_FREE_SPACES:
                s.free_spaces = int.from_bytes(d[:2], "little")
            elif f.cmd == olm.CMD_SET_CLOCK:
                s.clock = datetime(int.from_bytes(d[:2], "little"), d[2], d[3], d[5], d[6], d[7])
            elif f.cmd == olm.CMD_BRIGHTNESS:
                s.brightness = d[0]
            elif f.cmd == olm.CMD_VOLUME:
                s.volume = d[0]
            else:
                return False
        except (IndexError, UnicodeDecodeError, ValueError):
            return False
        return True

    def wait_for_frames(self, n: int, timeout: float = 2.0) -> bool:
        with self.received:
            return self.received.wait_for(lambda: len(self.frames) >= n, timeout)

    # ---------------------------------------------------------------------------------------- lines

    def serve_pty(self) -> str:
        """Answer on a new pseudo-terminal; returns the device path a driver opens."""
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._fds += [master, slave]
        decoder = olm.FrameDecoder()

        def run() -> None:
            while not self._stop.is_set():
                ready, _, _ = select.select([master], [], [], 0.1)
                if not ready:
                    continue
                try:
                    data = os.read(master, 1024)
                except OSError:
                    continue
                for frame in decoder.feed(data):
                    reply = self.handle(frame)
                    if reply:
                        os.write(master, reply)

        self._spawn(run)
        return os.ttyname(slave)

    def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        def serve(conn: socket.socket, _addr: tuple[str, int]) -> None:
            decoder = olm.FrameDecoder()
            while True:
                data = conn.recv(1024)
                if not data:
                    return
                for frame in decoder.feed(data):
                    reply = self.handle(frame)
                    if reply:
                        conn.sendall(reply)

        self._tcp = TcpServer(host, port, serve).start()
        return self._tcp.server_address

    def _spawn(self, target: object) -> None:
        t = threading.Thread(target=target, name="led-board-sim", daemon=True)  # type: ignore[arg-type]
        t.start()
        self._threads.append(t)

    def shutdown(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        if self._tcp is not None:
            self._tcp.shutdown()
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass

    # -------------------------------------------------------------------------------------- render

    def render(self, size: tuple[int, int] = (256, 128)) -> Image.Image:
        img = Image.new("RGB", size, (0, 0, 0))
        draw = ImageDraw.Draw(img)
        height = size[1] // self.line_count
        font, cjk = _font(int(height * 0.7))
        for line in range(self.line_count):
            if line in self.state.lines:
                text, (r, g, b, _a), _secs = self.state.lines[line]
                draw.text((4, line * height + height * 0.1), printable(text, cjk), fill=(r, g, b), font=font)
        if self.state.free_spaces is not None and not self.state.lines:
            draw.text((4, 4), f"{self.state.free_spaces}", fill=(0, 255, 0), font=font)
        return img

    def render_png(self, size: tuple[int, int] = (256, 128)) -> bytes:
        buf = io.BytesIO()
        self.render(size).save(buf, "PNG")
        return buf.getvalue()
