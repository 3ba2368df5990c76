"""A lane's own gate relay (Modbus TCP, pymodbus as the peer) is pulsed when the lane decides to open,
and by a console command; a lane whose relay does not answer still answers its camera."""

from __future__ import annotations

import pytest

from parking import db as dbmod
from parking.agent.process import Agent
from parking.models import Device, DeviceKind
from parking.services import lane_commands
from simulators.camera import CameraSimulator
from simulators.modbus_relay import ModbusRelaySimulator

from ..conftest import FIXED_NOW


@pytest.fixture
def relay():  # type: ignore[no-untyped-def]
    sim = ModbusRelaySimulator(unit=1)
    host, port = sim.start_tcp()
    yield sim, f"modbus-tcp://{host}:{port}?unit=1&coil=0&pulse_ms=50"
    sim.shutdown()


def add_gate(runtime, village, lane_code: str, url: str) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane(lane_code)
    with dbmod.transaction(runtime.sessions) as db:
        db.add(Device(lot_id=lane.lot_id, lane_id=lane.id, kind=DeviceKind.GATE, name="道闸继电器", url=url))


def test_an_admitted_car_pulses_the_lanes_gate_relay(runtime, village, relay):
    sim, url = relay
    add_gate(runtime, village, "east-in", url)
    with Agent(runtime, "127.0.0.1", 0, clock=lambda: FIXED_NOW) as agent:
        assert CameraSimulator("VZ-HX-EAST-IN", agent.camera_urls("VZ-HX-EAST-IN")["push_url"]).push_plate("粤B12345").open_gate
        assert sim.wait_for_writes(2, timeout=5)
    assert sim.writes[:2] == [(0, True), (0, False)]  # OPEN contact pulsed, then confirmed off


def test_a_refused_car_leaves_the_relay_alone(runtime, village, relay):
    sim, url = relay
    add_gate(runtime, village, "east-in", url)
    with Agent(runtime, "127.0.0.1", 0, clock=lambda: FIXED_NOW) as agent:
        assert not CameraSimulator("VZ-HX-EAST-IN", agent.camera_urls("VZ-HX-EAST-IN")["push_url"]).push_plate("粤B99999").open_gate  # blacklisted
        assert agent.devices.drain(timeout=5)
    assert sim.writes == []


def test_the_console_opens_the_gate_through_the_relay(runtime, village, relay):
    sim, url = relay
    add_gate(runtime, village, "east-out", url)
    with Agent(runtime, "127.0.0.1", 0, clock=lambda: FIXED_NOW):
        command, _ = lane_commands.dispatch(runtime.store, village.community_lot_id, village.lane("east-out").id, "open",
                                            now=FIXED_NOW, reason="车牌污损，人工核对")
        assert lane_commands.wait_for_outcome(runtime.store, command, timeout=5.0)["outcome"] == "delivered"
        assert sim.wait_for_writes(2, timeout=5)
    assert sim.writes[:2] == [(0, True), (0, False)]


def test_a_relay_that_does_not_answer_never_holds_up_the_camera(runtime, village):
    add_gate(runtime, village, "east-in", "modbus-tcp://127.0.0.1:9?unit=1&coil=0&timeout=0.2")  # nothing listens
    with Agent(runtime, "127.0.0.1", 0, clock=lambda: FIXED_NOW) as agent:
        assert CameraSimulator("VZ-HX-EAST-IN", agent.camera_urls("VZ-HX-EAST-IN")["push_url"]).push_plate("粤B12345").open_gate
        assert agent.devices.drain(timeout=5)
        assert any(key.endswith(":gate") for key in agent.devices.errors)
