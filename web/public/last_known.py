"""The last counts each lot showed, so that pages can still show them, marked stale, while Redis is away.

One ``LastKnownCounts`` per app (in ``app.extensions``), in memory: every successful count of a lot
replaces its entry with the moment it was read. Counts are not personal data (no plate is kept here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ..occupancy import LotCount

EXTENSION_KEY = "parking.last_known_counts"


@dataclass(frozen=True)
class UnknownLot:
    """A lot whose counts were never read by this process: shown by name, without numbers."""

    id: int
    code: str
    name: str
    address: str
    unknown: bool = True


class LastKnownCounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lots: dict[int, tuple[LotCount, datetime]] = {}

    def remember(self, lots: Iterable[LotCount], at: datetime) -> None:
        with self._lock:
            for lot in lots:
                self._lots[lot.id] = (lot, at)

    def recall(self, lots: Sequence[object]) -> tuple[list[LotCount | UnknownLot], datetime | None]:
        """For each lot (SQL rows with ``id``, ``code``, ``name``, ``address``), its last counts or an
        ``UnknownLot``; and the moment of the oldest count shown (None when none is known)."""
        shown: list[LotCount | UnknownLot] = []
        oldest: datetime | None = None
        with self._lock:
            for lot in lots:
                known = self._lots.get(lot.id)  # type: ignore[attr-defined]
                if known is None:
                    shown.append(UnknownLot(lot.id, lot.code, lot.name, lot.address or ""))  # type: ignore[attr-defined]
                    continue
                count, at = known
                shown.append(count)
                oldest = at if oldest is None or at < oldest else oldest
        return shown, oldest


def last_known() -> LastKnownCounts:
    """The app's record of last known counts (made on first use; ``dict.setdefault`` is atomic)."""
    return current_app.extensions.setdefault(EXTENSION_KEY, LastKnownCounts())
