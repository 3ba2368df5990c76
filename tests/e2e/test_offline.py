"""Offline operation: Redis is cut mid-traffic, the lanes keep deciding from their local copy, and when
Redis returns the journal is uploaded with nothing lost and nothing doubled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from parking import db as dbmod
from parking.agent.process import Agent
from parking.config import Settings
from parking.embedded_redis import EmbeddedRedis
from parking.models import ParkingSession, SessionStatus
from parking.runtime import Runtime
from parking.seed import seed_demo
from parking.services.capacities import publish_capacities
from parking.services.reconcile import reconcile
from parking.worker import Worker
from simulators.camera import CameraSimulator

from ..conftest import FIXED_NOW, Clock


@pytest.fixture
def redis_server(tmp_path):  # type: ignore[no-untyped-def]
    server = EmbeddedRedis(tmp_path / "redis", persistent=True).start()
    yield server
    server.stop()


@pytest.fixture
def site(tmp_path, database_url, redis_server, password_hash, clock):  # type: ignore[no-untyped-def]
    settings = Settings(instance_path=tmp_path / "instance", database_url=database_url, redis_url=redis_server.url, secret_key="k")
    runtime = Runtime.open(settings)
    with dbmod.transaction(runtime.sessions) as db:
        village = seed_demo(db, now=FIXED_NOW, password_hash=password_hash)
    with runtime.sessions() as db:
        publish_capacities(db, runtime.store)
    clock.cameras = {}  # the lanes' cameras, numbering their reads on this clock
    agent = Agent(runtime, "127.0.0.1", 0, clock=clock).start()
    yield runtime, village, agent, clock
    agent.stop()
    runtime.close()


def push(agent: Agent, serial: str, plate: str, clock: Clock) -> bool:
    """A read by the lane's camera, which numbers its reads (plateid) one after another."""
    camera = clock.cameras.setdefault((agent.url, serial), CameraSimulator(serial, agent.camera_urls(serial)["push_url"], clock=clock))
    try:
        return camera.push_plate(plate).open_gate
    finally:
        camera.close()


def open_sessions(runtime) -> dict[str, SessionStatus]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return {s.plate: s.status for s in db.scalars(select(ParkingSession))}


def test_cutting_redis_mid_traffic_loses_no_record(site, redis_server):
    runtime, village, agent, clock = site
    assert push(agent, "VZ-HX-EAST-IN", "粤B10001", clock)          # online
    clock.now += timedelta(minutes=5)

    redis_server.stop()                                               # the link to Redis is cut
    assert push(agent, "VZ-HX-EAST-IN", "粤B3M001", clock)           # monthly pass: admitted offline
    assert push(agent, "VZ-HX-NORTH-IN", "粤B10002", clock)          # temporary: the lot admits offline
    assert not push(agent, "VZ-HX-EAST-IN", "粤B99999", clock)       # blacklisted: still refused
    clock.now += timedelta(minutes=30)
    assert push(agent, "VZ-HX-EAST-OUT", "粤B3M001", clock)          # a pass leaves offline
    assert not push(agent, "VZ-HX-EAST-OUT", "粤B10001", clock)      # a temporary car is held for staff
    assert len(agent.offline.pending()) == 3

    redis_server.start()                                              # the link returns
    assert agent.sync() is True
    assert agent.offline.pending() == []
    assert agent.sync() is True                                       # a second upload changes nothing

    Worker(runtime).drain()
    assert open_sessions(runtime) == {
        "粤B10001": SessionStatus.OPEN, "粤B3M001": SessionStatus.CLOSED, "粤B10002": SessionStatus.OPEN,
    }
    with runtime.sessions() as db:
        monthly = db.scalar(select(ParkingSession).where(ParkingSession.plate == "粤B3M001"))
    assert (monthly.entry_at, monthly.exit_at, monthly.vehicle_class) == (FIXED_NOW + timedelta(minutes=5), FIXED_NOW + timedelta(minutes=35), "monthly")
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (2, 40)
    assert reconcile(runtime.sessions, runtime.store, clock()) == []


def test_a_journal_survives_an_agent_restart_and_is_uploaded_once(site, redis_server):
    runtime, village, agent, clock = site
    redis_server.stop()
    assert push(agent, "VZ-HX-EAST-IN", "粤B10003", clock)
    restarted = Agent(runtime, "127.0.0.1", 0, clock=clock)          # same instance folder, new process
    assert [r["plate"] for r in restarted.offline.pending()] == ["粤B10003"]
    redis_server.start()
    restarted.start()
    try:
        assert agent.sync() is True and restarted.sync() is True
    finally:
        restarted.stop()
    Worker(runtime).drain()
    assert open_sessions(runtime) == {"粤B10003": SessionStatus.OPEN}
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (1, 40)
