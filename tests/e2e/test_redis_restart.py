"""The bundled redis-server is killed with SIGKILL mid-traffic and comes back by itself: the process
that started it restarts it from its append-only file on the same socket, the agent's connections
reconnect by themselves, and nothing is lost or doubled: live counts equal SQL."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from parking import db as dbmod
from parking.agent.process import Agent
from parking.config import Settings
from parking.models import ParkingSession, SessionStatus
from parking.runtime import Runtime
from parking.seed import DemoVillage, seed_demo
from parking.services.reconcile import reconcile
from parking.worker import Worker
from simulators.camera import CameraSimulator

from ..conftest import FIXED_NOW, Clock

pytestmark = [pytest.mark.redis, pytest.mark.database]

DEADLINE_SECONDS = 20.0


def wait_until(condition: Callable[[], object], what: str) -> None:
    """Poll for a process to come back, for a bounded time (no clock is waited for)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")
        time.sleep(0.05)


@pytest.fixture
def site(tmp_path, database_url, password_hash, clock) -> Iterator[tuple[Runtime, DemoVillage, Agent]]:  # type: ignore[no-untyped-def]
    # No PARKING_REDIS_URL: this runtime starts the bundled redis-server, persistent, and supervises it.
    settings = Settings(instance_path=tmp_path / "instance", database_url=database_url, redis_url=None, secret_key="k")
    runtime = Runtime.open(settings)
    try:
        assert runtime.embedded is not None and runtime.embedded.role == "started"
        with dbmod.transaction(runtime.sessions) as db:
            village = seed_demo(db, now=FIXED_NOW, password_hash=password_hash)
        agent = Agent(runtime, "127.0.0.1", 0, clock=clock).start()  # publishes capacities and plate facts
        try:
            yield runtime, village, agent
        finally:
            agent.stop()
    finally:
        runtime.close()


class Traffic:
    """Plate reads pushed over HTTP by each lane's simulated camera, one minute apart on the test clock."""

    def __init__(self, agent: Agent, clock: Clock) -> None:
        self.agent, self.clock = agent, clock
        self.cameras: dict[str, CameraSimulator] = {}
        self.opened: list[tuple[str, str]] = []  # (serial, plate) of every read that opened the gate

    def push(self, serial: str, plate: str) -> bool:
        if serial not in self.cameras:
            self.cameras[serial] = CameraSimulator(serial, self._push_url(serial), clock=self.clock)
        camera = self.cameras[serial]
        opened = camera.push_plate(plate).open_gate
        if opened:
            self.opened.append((serial, plate))
        self.clock.advance(minutes=1)
        return opened

    def _push_url(self, serial: str) -> str:
        """The push URL the agent gives the camera (with its key where cameras are authenticated)."""
        urls = getattr(self.agent, "camera_urls", None)
        return urls(serial)["push_url"] if urls is not None else self.agent.url

    def close(self) -> None:
        for camera in self.cameras.values():
            camera.close()


def test_a_killed_bundled_redis_comes_back_by_itself_with_nothing_lost_or_doubled(site, clock) -> None:  # type: ignore[no-untyped-def]
    runtime, village, agent = site
    server = runtime.embedded
    traffic = Traffic(agent, clock)
    try:
        before = [f"粤B1{n:04d}" for n in range(12)]
        for i, plate in enumerate(before):
            assert traffic.push("VZ-HX-EAST-IN" if i % 2 else "VZ-HX-NORTH-IN", plate)
        assert Worker(runtime).drain() > 0  # part of the journal is in SQL, the rest still in the stream
        for plate in before[:3]:
            assert traffic.push("VZ-HX-EAST-OUT", plate)   # within the free hour: the gate opens
        killed = server.pid

        os.kill(killed, signal.SIGKILL)                     # mid-traffic
        during = [f"粤B2{n:04d}" for n in range(8)]
        for i, plate in enumerate(during):                  # decided online again or, while it is away, offline
            assert traffic.push("VZ-HX-EAST-IN" if i % 2 else "VZ-HX-NORTH-IN", plate)

        wait_until(lambda: server.restarts >= 1 and _answers(runtime), "the bundled redis-server is back")
        assert server.pid != killed and server.role == "started"
        assert server.url == runtime.redis_url               # the same socket: clients need no new address

        wait_until(agent.sync, "the agent uploads what it decided while Redis was away")
        after = [f"粤B3{n:04d}" for n in range(4)]
        for plate in after:                                 # online again through the same connections
            assert traffic.push("VZ-HX-EAST-IN", plate)
        assert traffic.push("VZ-HX-EAST-OUT", before[3])
    finally:
        traffic.close()

    Worker(runtime).drain()
    with runtime.sessions() as db:
        rows = list(db.scalars(select(ParkingSession).where(ParkingSession.lot_id == village.community_lot_id)))
    entered = [plate for serial, plate in traffic.opened if serial.endswith("-IN")]
    left = [plate for serial, plate in traffic.opened if serial.endswith("-OUT")]
    # Nothing lost: every car the gate let in has its session in SQL; nothing doubled: exactly one each.
    assert Counter(r.plate for r in rows) == Counter(entered)
    assert sorted(r.plate for r in rows if r.status == SessionStatus.CLOSED) == sorted(left)
    open_rows = [r for r in rows if r.status == SessionStatus.OPEN]
    # Live counts equal SQL, and reconcile finds nothing to correct.
    live = runtime.store.occupancy(village.community_lot_id)
    for zone_id, (present, _capacity) in live.items():
        assert present == sum(1 for r in open_rows if r.zone_id == zone_id), zone_id
    assert sum(present for present, _ in live.values()) == len(entered) - len(left) == 24 - 4
    assert reconcile(runtime.sessions, runtime.store, clock.now + timedelta(minutes=1)) == []


def _answers(runtime: Runtime) -> bool:
    try:
        return bool(runtime.redis.ping())
    except (redis.ConnectionError, redis.TimeoutError):
        return False
