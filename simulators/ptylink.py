"""Two pseudo-terminals joined back to back: a null-modem cable without socat or hardware.

    program A ── open(link.a) ── pty 1 ──┐ bridge thread copies ┌── pty 2 ── open(link.b) ── program B
                                         └──────── bytes ───────┘

Both ends are ordinary device paths, so pyserial and pymodbus open them like ``/dev/ttyUSB0``.
POSIX only.
"""

from __future__ import annotations

import os
import select
import threading
import tty


class PtyLink:
    def __init__(self) -> None:
        self._m1, self._s1 = os.openpty()
        self._m2, self._s2 = os.openpty()
        for fd in (self._m1, self._s1, self._m2, self._s2):
            tty.setraw(fd)
        self.a = os.ttyname(self._s1)
        self.b = os.ttyname(self._s2)
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._bridge, name="pty-link", daemon=True)
        self._thread.start()

    def _bridge(self) -> None:
        peer = {self._m1: self._m2, self._m2: self._m1}
        while True:
            ready, _, _ = select.select([self._m1, self._m2, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue  # the slave side is closed for now; pyserial may reopen it
                if data:
                    os.write(peer[fd], data)

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=2)
        for fd in (self._m1, self._s1, self._m2, self._s2, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "PtyLink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
