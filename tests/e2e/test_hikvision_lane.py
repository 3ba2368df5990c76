"""A Hikvision camera as a lane's camera: its ANPR alarm is decided like any read, its barrier is opened
over ISAPI with Digest authentication, its snapshots are kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parking import db as dbmod
from parking.agent.process import Agent
from parking.models import Device, DeviceKind, Lane, LaneDirection, ParkingSession
from parking.worker import Worker
from simulators.hikvision_camera import HikvisionCameraSimulator

from ..conftest import FIXED_NOW

MAC = "44:19:b6:00:00:01"


@pytest.fixture
def camera():  # type: ignore[no-untyped-def]
    sim = HikvisionCameraSimulator(mac=MAC, clock=lambda: FIXED_NOW)
    sim.serve()
    yield sim
    sim.shutdown()


@pytest.fixture
def agent(runtime, village, camera):  # type: ignore[no-untyped-def]
    running = Agent(runtime, "127.0.0.1", 0, clock=lambda: FIXED_NOW)
    host, port = running.ingress.server_address
    cam_host, cam_port = camera.address
    with dbmod.transaction(runtime.sessions) as db:
        lane = Lane(lot_id=village.office_lot_id, zone_id=village.office_zone_id, code="west-in", name="西门入口", direction=LaneDirection.ENTRY)
        lane.devices = [Device(lot_id=village.office_lot_id, kind=DeviceKind.CAMERA, name="西门海康相机", serial=MAC,
                               url=f"hik-http://admin:hik12345@{cam_host}:{cam_port}?listen={host}:{port}&id={MAC}&timeout=2")]
        db.add(lane)
    camera.push_url = f"http://{host}:{port}/ISAPI/anpr"
    running.start()
    yield running
    running.stop()


def test_an_anpr_alarm_opens_the_barrier_over_isapi_and_the_stay_reaches_sql(runtime, village, camera, agent):
    camera.push_plate("粤B12345")
    assert agent.devices.drain(timeout=5)
    assert camera.modes == ["open"]
    assert runtime.store.occupancy(village.office_lot_id)[village.office_zone_id] == (1, 30)
    Worker(runtime).drain()
    with runtime.sessions() as db:
        stay = db.scalar(select(ParkingSession))
    assert (stay.plate, stay.entry_read.startswith(f"{MAC}:粤B12345@")) == ("粤B12345", True)
    assert agent.snapshots.open(stay.entry_snapshot).exists()


def test_a_refused_car_gets_no_barrier_command(runtime, village, camera, agent):
    camera.push_plate("粤B99999")  # blacklisted
    assert agent.devices.drain(timeout=5)
    assert camera.modes == []
