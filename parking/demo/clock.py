"""The demo's clock: wall-clock pace within a step of the traffic, and a jump forward between steps, so
that ``--speed N`` lets an afternoon of parking pass in a minute.

Every part of the demo reads this one clock: the agent's lanes, the web (``PARKING_CLOCK``), the payment
providers and the platform simulators, the worker and the simulated cameras. Within a step it runs at
the wall clock's pace, so what happens inside one step (a plate read, an order signed and checked, a
notification, a lane command and its deadline) sees the seconds it really takes; ``advance_to`` then
moves it on to the step's planned moment. It never goes back.

A demo instance keeps its records between runs, and an earlier accelerated run may have written times
ahead of the wall clock: ``start_after`` starts the clock after the last moment the instance recorded,
so no stay ends before it began. The simulated platforms number their transactions within a day from 1
each time they start, and the ledger books a transaction number once: a run after one that took money by
phone starts on the next day (Asia/Shanghai, the platforms' day), so no number comes twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, LotEvent, Payment

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")  # the day WeChat Pay and Alipay number transactions in


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
    """``wall``, or just after the last moment the instance recorded if that is later, and not before the
    day after the last payment a platform numbered."""
    latest = [_aware(db.scalar(select(func.max(column)))) for column in (LotEvent.at, Payment.created_at, AuditEvent.at)]
    last = max((moment for moment in latest if moment is not None), default=None)
    start = wall if last is None or last < wall else last + timedelta(minutes=1)
    numbered = _aware(db.scalar(select(func.max(Payment.paid_at)).where(Payment.transaction_id.is_not(None))))
    if numbered is not None:
        next_day = datetime.combine(numbered.astimezone(PLATFORM_TZ).date() + timedelta(days=1), datetime.min.time(), PLATFORM_TZ)
        start = max(start, next_day.astimezone(timezone.utc))
    return start


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment
