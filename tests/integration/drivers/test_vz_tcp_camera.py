"""The VZ TCP client against the simulated camera over loopback."""

import queue
import time

import pytest

from drivers import olm
from drivers.vz.tcp_camera import VzTcpCamera
from simulators.vz_tcp_camera import VzTcpCameraSimulator


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def sim():
    s = VzTcpCameraSimulator("SN-TCP-1").start()
    yield s
    s.shutdown()


@pytest.fixture
def client(sim):
    results = queue.Queue()
    clock = FakeClock()
    host, port = sim.server_address
    cam = VzTcpCamera(host, port, on_read=results.put, clock=clock)
    cam.results, cam.fake_clock = results, clock
    cam.start()
    assert sim.wait_for(lambda: sim.subscribers == 1)
    yield cam
    cam.stop()


def test_client_learns_the_serial_and_subscribes(sim, client):
    assert client.serialno == "SN-TCP-1"
    assert sim.commands[:2] == ["getsn", "ivsresult"]


def test_pushed_result_reaches_the_callback_with_its_image(sim, client):
    assert sim.push_plate("粤B12345", image=b"\xff\xd8jpeg") == 1
    read = client.results.get(timeout=2)
    assert (read.device, read.license, read.image) == ("SN-TCP-1", "粤B12345", b"\xff\xd8jpeg")


def test_open_pulses_the_gate_io(sim, client):
    client.open()
    assert sim.ioctls == [(0, 2, 500)]


def test_rs485_pass_through_delivers_olm_frames(sim, client):
    client.send_rs485(olm.speak("欢迎光临"))
    assert sim.commands[-2:] == ["ttransmission", "ttransmission"]
    assert sim.rs485_frames == [olm.OlmFrame(0x30, bytes.fromhex("01 BB B6 D3 AD B9 E2 C1 D9"))]


def test_heartbeat_goes_out_when_two_seconds_pass_on_the_clock(sim, client):
    before = sim.heartbeats

    def two_seconds_after_the_last_packet() -> bool:
        # Something sent late (a reply to the subscription) resets the 2 s: keep the clock 2 s past it.
        client.fake_clock.now = max(client.fake_clock.now, client._last_sent + 2.0)
        return sim.heartbeats > before

    assert wait_until(two_seconds_after_the_last_packet)


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_silent_camera_is_dropped_and_the_client_reconnects_and_resubscribes(sim, client):
    sim.answer_heartbeats = False

    def silent_past_the_limit() -> bool:
        # A reply still in flight from the subscription moves last_heard to the fake clock's time, so the
        # clock is kept 6.5 s past whatever was heard last: nothing heard for longer than the 6 s limit.
        client.fake_clock.now = client.last_heard + 6.5
        return not client.transport.is_open

    assert wait_until(silent_past_the_limit)
    assert "camera silent for 6.5 s" in client.last_error
    sim.answer_heartbeats = True
    # Past the first backoff delay (0.5 s ± 10 %), counted from whenever the client noticed the drop.
    assert advance_until(client.fake_clock, lambda: client.transport.connects == 2 and sim.subscribers == 1)


def test_reconnects_after_the_camera_drops_the_connection(sim, client):
    sim.disconnect_all()
    assert wait_until(lambda: not client.transport.is_open)
    assert advance_until(client.fake_clock, lambda: client.transport.connects == 2 and sim.subscribers == 1)


def test_no_reconnect_before_the_backoff_delay_has_passed_on_the_clock(sim, client):
    sim.disconnect_all()
    assert wait_until(lambda: not client.transport.is_open)
    assert not wait_until(lambda: client.transport.connects == 2, timeout=0.3)


def advance_until(clock, predicate, step=0.25, limit=5.0, timeout=5.0):
    """Move the fake clock forward in small steps until ``predicate`` holds (at most ``limit`` fake seconds):
    the moment the client recorded a drop depends on thread timing, so no single jump fits every run."""
    start = clock.now

    def moved() -> bool:
        if predicate():
            return True
        if clock.now - start < limit:
            clock.now += step
        return False

    return wait_until(moved, timeout=timeout)
