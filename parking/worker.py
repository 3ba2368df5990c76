"""``parking worker``: persists every lot's event stream into SQL (see ``occupancy.recorder``)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from .models import Lot
from .occupancy.recorder import Recorder
from .runtime import Runtime

log = logging.getLogger(__name__)


def lot_ids(runtime: Runtime) -> list[int]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Lot.id).order_by(Lot.id)))


class Worker:
    def __init__(self, runtime: Runtime, *, consumer: str | None = None) -> None:
        self.runtime = runtime
        self.recorder = Recorder(runtime.redis, runtime.sessions, lot_ids(runtime), consumer=consumer)
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
        self.recorder.run_forever(self._stop.is_set, block_ms=500)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.recorder.drain()  # whatever arrived while stopping is still recorded
