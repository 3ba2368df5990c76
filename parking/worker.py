"""``parking worker``: persists every lot's event stream into SQL (see ``occupancy.recorder``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from sqlalchemy.exc import OperationalError

from sqlalchemy import select

from .models import Lot
from .runtime import Runtime

log = logging.getLogger(__name__)

LOT_RELOAD_SECONDS = 30.0  # how often the worker looks for lots added since it started


def lot_ids(runtime: Runtime) -> list[int]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Lot.id).order_by(Lot.id)))


class Worker:
    def __init__(self, runtime: Runtime, *, consumer: str | None = None) -> None:
        self.runtime = runtime
        self.recorder = runtime.store.recorder(runtime.sessions, lot_ids(runtime), consumer=consumer)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain(self) -> int:
        return self.recorder.drain()

    def start(self) -> "Worker":
        self._thread = threading.Thread(target=self.run, name="worker", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        log.info("worker recording the event streams of lots %s", self.recorder.lot_ids)
        while not self._stop.is_set():
            self.recorder.run_forever(self._deadline(LOT_RELOAD_SECONDS), block_ms=500)
            self.follow_new_lots()

    def follow_new_lots(self) -> list[int]:
        """Start recording the streams of lots added since the worker started."""
        try:
            new = self.recorder.follow(lot_ids(self.runtime))
        except (redis.RedisError, OperationalError) as exc:
            log.warning("lots not reloaded: %s", exc)
            return []
        if new:
            log.info("worker now also records lots %s", new)
        return new

    def _deadline(self, seconds: float) -> Callable[[], bool]:
        end = time.monotonic() + seconds
        return lambda: self._stop.is_set() or time.monotonic() >= end

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.recorder.drain()  # whatever arrived while stopping is still recorded
