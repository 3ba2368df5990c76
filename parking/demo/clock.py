"""The demo's clock: wall-clock pace within a step of the traffic, and a jump forward between steps, so
that ``--speed N`` lets an afternoon of parking pass in a minute.

Every part of the demo reads this one clock: the agent's lanes, the web (``PARKING_CLOCK``), the payment
providers and the platform simulators, the worker and the simulated cameras. Within a step it runs at
the wall clock's pace, so what happens inside one step (a plate read, an order signed and checked, a
notification, a lane command and its deadline) sees the seconds it really takes; ``advance_to`` then
moves it on to the step's planned moment. It never goes back.

A demo instance keeps its records between runs, and an earlier accelerated run may have written times
ahead of the wall clock: ``start_after`` starts the clock after the last moment the instance recorded,
so no stay ends before it began.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, LotEvent, Payment


class DemoClock:
    """Aware UTC datetimes from ``start``; call it like ``datetime.now(timezone.utc)``."""

    def __init__(self, start: datetime, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("start: expected an aware datetime")
        self._monotonic = monotonic
        self._base = start.astimezone(timezone.utc)
        self._mark = monotonic()
        self._lock = threading.Lock()
        self.start = self._base

    def __call__(self) -> datetime:
        with self._lock:
            return self._now()

    def _now(self) -> datetime:
        return self._base + timedelta(seconds=self._monotonic() - self._mark)

    def advance_to(self, moment: datetime) -> datetime:
        """Jump to ``moment`` if it is ahead; returns the time now."""
        with self._lock:
            now = self._now()
            if moment > now:
                self._base, self._mark = moment, self._monotonic()
                return moment
            return now


def start_after(db: Session, wall: datetime) -> datetime:
    """``wall``, or just after the last moment the instance recorded if that is later."""
    latest = [wall]
    for column in (LotEvent.at, Payment.created_at, AuditEvent.at):
        found = db.scalar(select(func.max(column)))
        if found is not None:
            latest.append(found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc))
    last = max(latest)
    return wall if last == wall else last + timedelta(minutes=1)
