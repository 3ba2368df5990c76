"""``parking agent``: the camera ingress and lane controllers of one instance, as one object to start
and stop. Lanes, capacities and plate facts are read from SQL at start and on every sync; lane decisions
never wait on SQL, and fall back to offline decisions when Redis is unreachable.

A sync runs every ``SYNC_SECONDS``, and within ``CONFIG_POLL_SECONDS`` of a configuration change made
through ``parking.services`` (the console, the API, ``parking site import``), which raises the
configuration version in the live store (``OccupancyStore.config``): agents need no restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import redis
from sqlalchemy.exc import OperationalError

from drivers.http_ingress import PushIngress
from drivers.hikvision_camera import HikvisionPushHub
from drivers.vz.push_camera import VzPushHub

from ..runtime import Runtime
from ..services.capacities import publish_capacities
from ..services.site import SiteConfigError
from ..services import lot_facts
from ..snapshots import SnapshotStore
from .control import CommandListener, report_health
from .devices import LaneDevices
from .ingress import CameraLanes, camera_urls
from .lanes import LaneDirectory
from .offline import OfflineLanes

log = logging.getLogger(__name__)

SYNC_SECONDS = 30.0  # how often offline decisions are uploaded, configuration reloaded and snapshots purged
HEALTH_SECONDS = 5.0  # how often device health is reported
CONFIG_POLL_SECONDS = 1.0  # how often the configuration version is read, to pick up a change promptly


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Agent:
    def __init__(self, runtime: Runtime, host: str, port: int, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.runtime = runtime
        self.clock = clock
        self.lanes = LaneDirectory(runtime.sessions, time.monotonic, clock, default_tz=runtime.settings.timezone)
        self.offline = OfflineLanes(runtime.settings.instance_path / "agent")
        self.snapshots = SnapshotStore(runtime.settings.instance_path / "snapshots", retention_days=runtime.settings.snapshot_days)
        self.hub = VzPushHub(host, port, max_body_bytes=runtime.settings.max_push_bytes)
        self.devices = LaneDevices()
        self.cameras = CameraLanes(runtime.store, self.lanes, self.hub, clock, offline=self.offline, snapshots=self.snapshots,
                                   devices=self.devices, secret=runtime.settings.secret_key.encode())
        self.ingress = PushIngress(host, port, self.hub.routes(), max_body_bytes=runtime.settings.max_push_bytes)
        self.commands = CommandListener(runtime.store, self.hub, lambda: self.lanes.all().values(), lambda: self.lanes.lots().keys(), clock,
                                        devices=self.devices)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._hik_hubs: list[HikvisionPushHub] = []
        self._config_version: int | None = None  # the configuration version the last sync loaded

    @property
    def url(self) -> str:
        return self.ingress.url

    def camera_urls(self, serial: str) -> dict[str, Any]:
        """The push and heartbeat URLs (with its key) to enter on the VZ camera of serial number ``serial``."""
        lane = self.lanes.by_serial(serial)
        return {} if lane is None else camera_urls(lane, self.url, self.runtime.settings.secret_key.encode())

    def start(self) -> "Agent":
        self.lanes.reload()
        self.devices.bind(self.lanes.all().values())
        bound = self.cameras.bind()
        self._serve_hikvision()
        self.sync()
        self.ingress.start()
        self.commands.start()
        for target, name in ((self._sync_loop, "agent-sync"), (self._health_loop, "agent-health")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("agent serving %d camera lanes; camera ingress at %s", bound, self.url)
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
        """Upload what was decided offline, reload the configuration (lanes, policies, tariff versions),
        refresh the plate facts and their local copy, and purge old snapshots. Returns False when Redis
        (or SQL) is still unreachable; the lanes then keep deciding offline."""
        try:
            version = self.runtime.store.config.version()  # read first: a change made during the reload is seen next time
            self.offline.upload(self.runtime.store, self.lanes.lots())
            self.lanes.reload()
            self.devices.bind(self.lanes.all().values())
            self.cameras.bind()
            self._serve_hikvision()
            self.refresh_facts()
        except (redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
            log.warning("agent sync postponed: %s", exc)
            return False
        except SiteConfigError as exc:  # the lanes keep the configuration they have until it is fixed
            log.error("agent sync refused the configuration in SQL: %s", exc)
            return False
        self._config_version = version
        purged = self.snapshots.purge(self.clock())
        if purged:
            log.info("purged %d snapshots older than %d days", purged, self.snapshots.retention_days)
        return True

    def _serve_hikvision(self) -> None:
        """Hikvision cameras push to the hub their URL names: on the agent's own port its routes are
        mounted beside the VZ paths; on another port the hub serves by itself."""
        for hub in self.devices.registry.hubs.values():
            if not isinstance(hub, HikvisionPushHub) or hub in self._hik_hubs:
                continue
            if (hub.host, hub.port) == self.ingress.server_address or hub.port == self.ingress.server_address[1]:
                self.ingress.routes.update(hub.routes())
            else:
                hub.start()
            self._hik_hubs.append(hub)

    def report_health(self) -> None:
        report_health(self.runtime.store, self.hub, self.lanes.all().values(), self.clock(), cameras=self.devices.cameras)

    def config_changed(self) -> bool:
        """Whether the configuration changed since the last sync loaded it (False while Redis is away)."""
        try:
            return self.runtime.store.config.version() != self._config_version
        except (redis.ConnectionError, redis.TimeoutError):
            return False

    def _sync_loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(CONFIG_POLL_SECONDS):
            if time.monotonic() - last < SYNC_SECONDS and not self.config_changed():
                continue
            if self.config_changed():
                log.info("configuration changed: reloading lanes, policies, tariffs and plate facts")
            self.sync()
            last = time.monotonic()

    def _health_loop(self) -> None:
        while not self._stop.wait(HEALTH_SECONDS):
            try:
                self.report_health()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("device health not reported: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.commands.stop()
        self.ingress.shutdown()
        for hub in self._hik_hubs:
            if hub.ingress is not None:
                hub.shutdown()
        self.devices.close()

    def __enter__(self) -> "Agent":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
