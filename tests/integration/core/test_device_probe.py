""""Test this device" against the simulators: a VZ TCP camera, a Modbus relay module over TCP and RTU, an
OLM board over a pty and TCP, a Hikvision camera's ISAPI server, and a VZ push camera the agent heard.
Each answer says what was found with the latency, or the error, and nothing is switched or shown."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta

import pytest

from parking.occupancy import DeviceReport
from parking.services.device_test import probe_device
from simulators.hikvision_camera import HikvisionCameraSimulator
from simulators.led_board import LedBoardSimulator
from simulators.modbus_relay import ModbusRelaySimulator
from simulators.ptylink import PtyLink
from simulators.vz_tcp_camera import VzTcpCameraSimulator

from ...conftest import FIXED_NOW


def probe(url: str, serial: str | None = None, *, store=None, timeout: float = 2.0):  # type: ignore[no-untyped-def]
    return probe_device(url, serial=serial, lot_id=1, store=store, now=FIXED_NOW, timeout=timeout)


@pytest.fixture
def vz_camera():  # type: ignore[no-untyped-def]
    sim = VzTcpCameraSimulator("SN-TCP-1").start()
    yield sim
    sim.shutdown()


def test_a_vz_tcp_camera_answers_its_serial(vz_camera):
    host, port = vz_camera.server_address
    result = probe(f"vz-tcp://{host}:{port}", "SN-TCP-1")
    assert (result.ok, result.outcome, result.detail) == (True, "camera_answered", "camera SN-TCP-1 answered getsn")
    assert result.latency_ms is not None and 0 <= result.latency_ms < 2000
    assert vz_camera.commands == ["getsn"]  # asked, never subscribed or switched


def test_a_vz_tcp_camera_with_another_serial_is_reported(vz_camera):
    host, port = vz_camera.server_address
    result = probe(f"vz-tcp://{host}:{port}", "SN-OTHER")
    assert (result.ok, result.detail) == (False, "the camera answered with serial SN-TCP-1, not SN-OTHER: is the URL that of another camera?")


def test_nothing_listening_is_an_error_naming_the_address():
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    result = probe(f"vz-tcp://127.0.0.1:{port}", "SN-TCP-1")
    assert (result.ok, result.outcome) == (False, "failed")
    assert result.detail.startswith(f"cannot connect to tcp://127.0.0.1:{port}:")


def test_a_device_that_never_answers_is_given_up_within_the_timeout():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        started = time.monotonic()
        result = probe(f"vz-tcp://127.0.0.1:{port}", "SN-TCP-1", timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert (result.ok, result.detail) == (False, "the camera at 127.0.0.1 did not answer getsn within 0.5 s")
    assert elapsed < 1.5


@pytest.fixture(params=["tcp", "rtu"])
def relay(request):  # type: ignore[no-untyped-def]
    sim = ModbusRelaySimulator(inputs=lambda: [True, False])
    link = None
    if request.param == "tcp":
        host, port = sim.start_tcp()
        url = f"modbus-tcp://{host}:{port}?unit=1"
    else:
        link = PtyLink()
        sim.start_rtu(link.a)
        url = f"modbus-rtu://{link.b}?unit=1&timeout=1"
    yield sim, url
    sim.shutdown()
    if link:
        link.close()


def test_a_relay_module_answers_with_its_inputs_and_nothing_is_switched(relay):
    sim, url = relay
    result = probe(url)
    assert (result.ok, result.outcome, result.detail) == (True, "relay_answered", "relay unit 1 answered: vehicle loop occupied, arm down")
    assert result.latency_ms is not None
    assert sim.writes == []


def test_a_relay_module_at_another_unit_does_not_answer(relay):
    sim, url = relay
    result = probe(url.replace("unit=1", "unit=7"))
    assert (result.ok, result.outcome) == (False, "failed")


@pytest.fixture(params=["pty", "tcp"])
def board(request):  # type: ignore[no-untyped-def]
    sim = LedBoardSimulator()
    if request.param == "pty":
        url = f"olm://{sim.serve_pty()}?ack_timeout=0.5"
    else:
        host, port = sim.serve_tcp()
        url = f"olm+tcp://{host}:{port}?ack_timeout=0.5"
    yield sim, url
    sim.shutdown()


def test_a_board_acknowledges_the_time_in_the_lots_zone_and_shows_nothing_new(board):
    sim, url = board
    result = probe(url)
    assert (result.ok, result.outcome, result.detail) == (True, "board_acknowledged", "board 0 acknowledged the time")
    assert sim.state.clock == datetime(2026, 11, 25, 17, 30, 0)
    assert (sim.state.lines, sim.state.spoken, sim.state.relays) == ({}, [], [])


def test_a_silent_board_is_an_error(board):
    sim, url = board
    sim.silent_next = 10
    result = probe(url)
    assert (result.ok, result.detail) == (False, "OLM board 0: no ACK to command 0x05 within 0.5 s")


def test_a_board_at_another_address_is_an_error(board):
    sim, url = board
    result = probe(url + "&address=3")
    assert (result.ok, result.outcome) == (False, "failed")


def test_a_hikvision_camera_answers_its_isapi_server():
    sim = HikvisionCameraSimulator()
    host, port = sim.serve()
    try:
        result = probe(f"hik-http://admin:12345@{host}:{port}?listen=127.0.0.1:8091&id=44:19:b6:00:00:01", "44:19:b6:00:00:01")
    finally:
        sim.shutdown()
    assert (result.ok, result.outcome) == (True, "camera_answered")
    assert result.detail.startswith(f"http://{host}:{port} answered HTTP 405")


@pytest.mark.redis
def test_a_push_camera_is_heard_through_the_agents_report(runtime):
    store = runtime.store
    store.devices.report([DeviceReport(1, 3, "VZ-EAST", FIXED_NOW - timedelta(seconds=5))], FIXED_NOW)
    heard = probe("vz-http://0.0.0.0:8090?serial=VZ-EAST", "VZ-EAST", store=store)
    assert (heard.ok, heard.outcome, heard.detail, heard.last_heard) == (
        True, "camera_heard", "camera VZ-EAST heard by the agent 5 s ago", FIXED_NOW - timedelta(seconds=5))
    silent = probe("vz-http://0.0.0.0:8090?serial=VZ-WEST", "VZ-WEST", store=store)
    assert (silent.ok, silent.outcome) == (False, "camera_not_heard")
    assert silent.detail.startswith("camera VZ-WEST has not been heard by the agent")
