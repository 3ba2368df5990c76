"""``parking agent``: the camera ingress and lane controllers of one instance, as one object to start
and stop. Lanes and capacities are read from SQL at start; lane decisions never wait on SQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

import redis
from sqlalchemy.exc import OperationalError

from drivers.http_ingress import PushIngress

from ..runtime import Runtime
from ..seed import publish_capacities
from ..services import lot_facts
from .ingress import VzPushIngress
from .lanes import LaneDirectory
from .offline import OfflineLanes

log = logging.getLogger(__name__)

SYNC_SECONDS = 30.0  # how often offline decisions are uploaded and plate facts refreshed


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Agent:
    def __init__(self, runtime: Runtime, host: str, port: int, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.runtime = runtime
        self.lanes = LaneDirectory(runtime.sessions, time.monotonic, clock, default_tz=runtime.settings.timezone)
        self.clock = clock
        self.offline = OfflineLanes(runtime.settings.instance_path / "agent")
        self.vz = VzPushIngress(runtime.store, self.lanes, clock, self.offline)
        self._stop = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self.ingress = PushIngress(host, port, self.vz.routes(), max_body_bytes=runtime.settings.max_push_bytes)

    @property
    def url(self) -> str:
        return self.ingress.url

    def start(self) -> "Agent":
        lanes = self.lanes.reload()
        self.sync()
        self.ingress.start()
        self._sync_thread = threading.Thread(target=self._sync_loop, name="agent-sync", daemon=True)
        self._sync_thread.start()
        log.info("agent serving %d lanes; camera ingress at %s", len(lanes), self.url)
        return self

    def refresh_facts(self) -> None:
        """Publish capacities and rebuild every lot's plate facts (passes, lists, visitors) from SQL."""
        now = self.clock()
        with self.runtime.sessions() as db:
            publish_capacities(db, self.runtime.store)
            for lot in self.lanes.lots().values():
                lot_facts.refresh(db, self.runtime.store, lot.id, lot.policy, now)
        for lot in self.lanes.lots().values():
            self.offline.snapshot(self.runtime.store, lot.id)

    def sync(self) -> bool:
        """Upload what was decided offline, then refresh the plate facts and their local copy.
        Returns False when Redis (or SQL) is still unreachable; the lanes then keep deciding offline."""
        try:
            self.offline.upload(self.runtime.store)
            self.lanes.reload()  # lanes, policies and tariff versions that took effect since
            self.refresh_facts()
        except (redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
            log.warning("agent sync postponed: %s", exc)
            return False
        return True

    def _sync_loop(self) -> None:
        while not self._stop.wait(SYNC_SECONDS):
            self.sync()

    def stop(self) -> None:
        self._stop.set()
        if self._sync_thread is not None:
            self._sync_thread.join(timeout=5)
            self._sync_thread = None
        self.ingress.shutdown()

    def __enter__(self) -> "Agent":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
