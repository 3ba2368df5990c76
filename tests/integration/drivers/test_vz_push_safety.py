"""Lane safety at the VZ push hub, over loopback HTTP: who may push, and hand commands that are bounded
in time, honest about their fate, and never carried by the answer to a read."""

from datetime import datetime, timezone

import pytest

from drivers.errors import TransportError
from drivers.interfaces import ReadAnswer
from drivers.vz.push_camera import UNKNOWN_CAMERAS, VzPushHub
from simulators.camera import CameraSimulator

FIXED = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeMonotonic()


@pytest.fixture
def hub(clock):
    h = VzPushHub("127.0.0.1", 0)
    h.reads = []
    h.outcomes = []

    def decide(read):
        h.reads.append(read)
        return ReadAnswer(open_gate=read.license == "粤B12345")

    cam = h.camera("SN1", on_read=decide, key="k-123", clock=clock)
    cam.on_command = lambda uid, outcome: h.outcomes.append((uid, outcome))
    h.start()
    yield h
    h.shutdown()


def url(hub, key="k-123"):
    return f"{hub.ingress.url}/devicemanagement/php/plateresult.php" + (f"?key={key}" if key is not None else "")


def test_a_push_without_the_key_is_refused_counted_and_never_decided(hub):
    cam = CameraSimulator("SN1", url(hub, key=None), clock=lambda: FIXED)
    with pytest.raises(TransportError, match="HTTP 403"):
        cam.push_plate("粤B12345")
    assert hub.reads == []
    assert hub.cameras["SN1"].refused == {"key": 1}


def test_a_push_with_a_wrong_key_is_refused(hub):
    cam = CameraSimulator("SN1", url(hub, key="guess"), clock=lambda: FIXED)
    with pytest.raises(TransportError, match="HTTP 403"):
        cam.push_plate("粤B12345")
    assert hub.cameras["SN1"].refused == {"key": 1}


def test_a_push_from_an_address_not_allowed_is_refused_even_with_the_key(hub):
    hub.cameras["SN1"].configure(gate_io=None, key="k-123", allow="192.168.1.100")
    cam = CameraSimulator("SN1", url(hub), clock=lambda: FIXED)
    with pytest.raises(TransportError, match="HTTP 403"):
        cam.push_plate("粤B12345")
    assert hub.reads == [] and hub.cameras["SN1"].refused == {"source": 1}


def test_a_forged_heartbeat_cannot_take_the_lanes_pending_command(hub, clock):
    hub.cameras["SN1"].command("c1", "open")
    forger = CameraSimulator("SN1", url(hub, key="guess"))
    with pytest.raises(TransportError, match="HTTP 403"):
        forger.heartbeat()
    real = CameraSimulator("SN1", url(hub))
    assert real.heartbeat().open_gate is True
    assert hub.outcomes == [("c1", "delivered")]


def test_a_hand_open_is_never_carried_by_the_answer_to_a_read(hub):
    hub.cameras["SN1"].command("c1", "open")
    cam = CameraSimulator("SN1", url(hub), clock=lambda: FIXED)
    assert cam.push_plate("粤B99999").open_gate is False  # another car's rejected read
    assert hub.outcomes == []
    assert cam.heartbeat().open_gate is True


def test_a_command_not_taken_by_its_deadline_expires_and_is_never_performed(hub, clock):
    hub.cameras["SN1"].command("c1", "open", seconds=5)
    clock.now += 5.0
    cam = CameraSimulator("SN1", url(hub))
    assert cam.heartbeat().open_gate is False
    assert hub.outcomes == [("c1", "expired")]
    assert cam.heartbeat().open_gate is False


def test_a_command_is_delivered_just_before_its_deadline(hub, clock):
    hub.cameras["SN1"].command("c1", "open", seconds=5)
    clock.now += 4.9
    assert CameraSimulator("SN1", url(hub)).heartbeat().open_gate is True
    assert hub.outcomes == [("c1", "delivered")]


def test_expiry_is_reported_at_the_deadline_without_a_heartbeat(hub, clock):
    hub.cameras["SN1"].command("c1", "open", seconds=5)
    hub.expire()
    assert hub.outcomes == []
    clock.now += 5.0
    hub.expire()
    assert hub.outcomes == [("c1", "expired")]


def test_close_cancels_a_pending_open(hub):
    hub.cameras["SN1"].command("c1", "open")
    assert hub.cameras["SN1"].cancel("open") == ["c1"]
    assert hub.outcomes == [("c1", "cancelled")]
    assert CameraSimulator("SN1", url(hub)).heartbeat().open_gate is False


def test_unknown_serials_are_counted_in_bounded_memory(hub):
    for n in range(UNKNOWN_CAMERAS + 50):
        hub._unknown(f"SN-X{n}")
    assert len(hub.unknown) == UNKNOWN_CAMERAS
    assert hub.unknown_total == UNKNOWN_CAMERAS + 50
    assert "SN-X0" not in hub.unknown and f"SN-X{UNKNOWN_CAMERAS + 49}" in hub.unknown


def test_the_cameras_fake_plate_flag_reaches_the_lane(hub):
    cam = CameraSimulator("SN1", url(hub), clock=lambda: FIXED)
    cam.push_plate("粤B12345", is_fake=True)
    assert [(r.license, r.fake) for r in hub.reads] == [("粤B12345", True)]
