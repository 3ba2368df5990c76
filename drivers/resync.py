"""What every stream decoder does with bytes it cannot use: skip them and report each run once.

A decoder keeps its unread bytes in ``_buf``; when they cannot start a frame it calls ``_skip(n, reason)``
and, once a frame lines up again (or on ``flush``), ``_report()``: one ``DecodeError`` per run of skipped
bytes, showing the first 16 of them, passed to ``on_error`` and kept in ``errors`` (the last 100).
``discarded`` counts every skipped byte.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from drivers.errors import DecodeError


class SkippingDecoder:
    stream = "stream"  # named in the reports, e.g. "OLM stream"

    def __init__(self, on_error: Callable[[DecodeError], None] | None = None) -> None:
        self._buf = bytearray()
        self._garbage = bytearray()
        self._reason = ""
        self._on_error = on_error
        self.errors: deque[DecodeError] = deque(maxlen=100)
        self.discarded = 0

    def flush(self) -> None:
        """Report skipped bytes not reported yet."""
        self._report()

    def _skip(self, n: int, reason: str) -> None:
        if n <= 0:
            return
        if not self._garbage:
            self._reason = reason
        self._garbage += self._buf[:n]
        self.discarded += n
        del self._buf[:n]

    def _report(self) -> None:
        if not self._garbage:
            return
        shown = self._garbage[:16].hex(" ").upper() + (" …" if len(self._garbage) > 16 else "")
        err = DecodeError(f"{self.stream}: skipped {len(self._garbage)} byte(s) [{shown}]: first was {self._reason}")
        self._garbage.clear()
        self.errors.append(err)
        if self._on_error is not None:
            self._on_error(err)
