"""A VZ camera reached over its TCP port (8131) as a lane's camera: its pushed result is decided, the
gate is pulsed through the camera's IO output and the lane board fed through its RS485 pass-through."""

from __future__ import annotations

import pytest

from parking import db as dbmod
from parking.agent.process import Agent
from parking.models import Device, DeviceKind, Lane, LaneDirection
from simulators.vz_tcp_camera import VzTcpCameraSimulator

from ..conftest import FIXED_NOW


@pytest.fixture
def camera():  # type: ignore[no-untyped-def]
    sim = VzTcpCameraSimulator("VZ-TCP-WEST").start()
    yield sim
    sim.shutdown()


@pytest.fixture
def agent(runtime, village, camera):  # type: ignore[no-untyped-def]
    host, port = camera.server_address
    with dbmod.transaction(runtime.sessions) as db:
        lane = Lane(lot_id=village.office_lot_id, zone_id=village.office_zone_id, code="west-in", name="西门入口", direction=LaneDirection.ENTRY)
        lane.devices = [Device(lot_id=village.office_lot_id, kind=DeviceKind.CAMERA, name="西门相机", serial="VZ-TCP-WEST",
                               url=f"vz-tcp://{host}:{port}?gate_io=0&pulse_ms=500")]
        db.add(lane)
    with Agent(runtime, "127.0.0.1", 0, clock=lambda: FIXED_NOW) as running:
        assert camera.wait_for(lambda: camera.subscribers == 1, timeout=5)
        yield running


def test_a_result_on_the_tcp_connection_opens_the_gate_and_feeds_the_board(runtime, village, camera, agent):
    camera.push_plate("粤B12345")
    assert camera.wait_for(lambda: camera.ioctls == [(0, 2, 500)], timeout=5)
    assert agent.devices.drain(timeout=5)
    assert camera.wait_for(lambda: len(camera.rs485_frames) >= 5, timeout=5)
    shown = [f.data[19:].decode("gb2312") for f in camera.rs485_frames if f.cmd == 0x62]
    assert shown[:3] == ["粤B12345", "临时车", "欢迎光临"]
    assert runtime.store.occupancy(village.office_lot_id)[village.office_zone_id] == (1, 30)


def test_a_refused_car_gets_no_gate_pulse(runtime, village, camera, agent):
    camera.push_plate("粤B99999")
    assert camera.wait_for(lambda: len(camera.rs485_frames) >= 2, timeout=5)
    assert agent.devices.drain(timeout=5)
    assert camera.ioctls == []
