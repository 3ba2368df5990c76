"""``parking agent``: the camera ingress and lane controllers of one instance, as one object to start
and stop. Lanes and capacities are read from SQL at start; lane decisions never wait on SQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

from drivers.http_ingress import PushIngress

from ..runtime import Runtime
from ..seed import publish_capacities
from ..services import lot_facts
from .ingress import VzPushIngress
from .lanes import LaneDirectory

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Agent:
    def __init__(self, runtime: Runtime, host: str, port: int, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.runtime = runtime
        self.lanes = LaneDirectory(runtime.sessions, time.monotonic, clock, default_tz=runtime.settings.timezone)
        self.clock = clock
        self.vz = VzPushIngress(runtime.store, self.lanes, clock)
        self.ingress = PushIngress(host, port, self.vz.routes(), max_body_bytes=runtime.settings.max_push_bytes)

    @property
    def url(self) -> str:
        return self.ingress.url

    def start(self) -> "Agent":
        lanes = self.lanes.reload()
        self.refresh_facts()
        self.ingress.start()
        log.info("agent serving %d lanes; camera ingress at %s", len(lanes), self.url)
        return self

    def refresh_facts(self) -> None:
        """Publish capacities and rebuild every lot's plate facts (passes, lists, visitors) from SQL."""
        now = self.clock()
        with self.runtime.sessions() as db:
            publish_capacities(db, self.runtime.store)
            for lot in self.lanes.lots().values():
                lot_facts.refresh(db, self.runtime.store, lot.id, lot.policy, now)

    def stop(self) -> None:
        self.ingress.shutdown()

    def __enter__(self) -> "Agent":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
