"""The OLM LED / voice board as a device: send a frame, wait for its ACK, retry, report.

    OlmBoard.show_text(...) ──frame──► transport ──RS485──► board
                            ◄──ACK──── (same CMD, DL = 1, DATA 00 = ok)

A frame is sent up to ``1 + retries`` times: again when no ACK arrives within ``ack_timeout``, and
again when the board answers a non-zero ACK. Frames the board sends that are not the awaited ACK are
ignored; garbage on the line is skipped by :class:`drivers.olm.FrameDecoder` and counted in
``decoder.discarded``. With ``require_ack=False`` frames are only written, for boards reached one way
(through a camera's RS485 port). The transport is a serial line or a TCP link to an RS485 converter.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Callable

from drivers import olm
from drivers.errors import DeviceRejectedError, DeviceTimeoutError
from drivers.transport import Transport

log = logging.getLogger(__name__)


class OlmBoard:
    """Display and voice interface over the OLM protocol."""

    def __init__(self, transport: Transport, *, address: int = 0, ack_timeout: float = 0.5, retries: int = 2,
                 require_ack: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.address = address
        self.ack_timeout = ack_timeout
        self.retries = retries
        self.require_ack = require_ack
        self.clock = clock
        self.decoder = olm.FrameDecoder(on_error=lambda e: log.warning("OLM board %d: %s", address, e))
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def send(self, frame: bytes) -> None:
        """Write ``frame`` and wait for its ACK, retrying; raise DeviceTimeoutError / DeviceRejectedError."""
        cmd = frame[4]
        with self._lock:
            last: Exception | None = None
            for attempt in range(1 + self.retries):
                self.transport.write(frame)
                if not self.require_ack:
                    return
                code = self._await_ack(cmd)
                if code == olm.ACK_OK:
                    self.last_error = None
                    return
                if code is None:
                    last = DeviceTimeoutError(f"OLM board {self.address}: no ACK to command 0x{cmd:02X} "
                                              f"within {self.ack_timeout} s")
                else:
                    last = DeviceRejectedError(f"OLM board {self.address}: command 0x{cmd:02X} answered "
                                               f"ACK 0x{code:02X} (0 = ok)")
                log.info("%s (attempt %d of %d)", last, attempt + 1, 1 + self.retries)
            self.last_error = str(last)
            assert last is not None
            raise last

    def _await_ack(self, cmd: int) -> int | None:
        deadline = self.clock() + self.ack_timeout
        while True:
            left = deadline - self.clock()
            if left <= 0:
                return None
            data = self.transport.read(256, timeout=left)
            for reply in self.decoder.feed(data):
                if reply.cmd == cmd and reply.is_ack and reply.address == self.address:
                    return reply.ack_code

    # ----------------------------------------------------------------------------------- commands

    def show_text(self, line: int, text: str, *, color: tuple[int, int, int, int] = olm.RED,
                  seconds: int = 10) -> None:
        self.send(olm.show_text(line, text, color=color, seconds=seconds, address=self.address))

    def speak(self, text: str, option: int = olm.SPEAK_QUEUE_AND_PLAY) -> None:
        self.send(olm.speak(text, option, self.address))

    def stop_speaking(self) -> None:
        self.send(olm.stop_speaking(self.address))

    def show_free_spaces(self, count: int) -> None:
        self.send(olm.show_free_spaces(count, self.address))

    def open(self) -> None:
        """Gate interface, for boards whose relay is wired to the gate's OPEN contact."""
        self.send(olm.open_gate(self.address))

    def close(self) -> None:
        self.send(olm.close_gate(self.address))

    def set_clock(self, dt: datetime) -> None:
        self.send(olm.set_clock(dt, self.address))

    def set_brightness(self, level: int) -> None:
        self.send(olm.set_brightness(level, self.address))

    def set_volume(self, level: int) -> None:
        self.send(olm.set_volume(level, self.address))
