"""VZ push cameras behind one hub, driven by the camera simulator over loopback."""

from datetime import datetime, timezone

import pytest

from drivers import olm
from drivers.errors import TransportError
from drivers.interfaces import ReadAnswer
from drivers.vz.push_camera import VzPushHub
from simulators.camera import CameraSimulator

FIXED = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


@pytest.fixture
def hub():
    h = VzPushHub("127.0.0.1", 0)
    reads = []

    def decide(read):
        reads.append(read)
        return ReadAnswer(open_gate=read.license == "粤B12345", lines=(read.license,))

    h.camera("SN1", on_read=decide)
    h.reads = reads
    h.start()
    yield h
    h.shutdown()


def test_read_is_answered_with_its_own_decision_and_a_queued_hand_text_waits_for_the_heartbeat(hub):
    hub.cameras["SN1"].show_text(0, "人工")
    cam = CameraSimulator("SN1", hub.ingress.url, clock=lambda: FIXED)
    assert cam.push_plate("粤B12345").open_gate is True
    assert [f.cmd for f in cam.serial_frames] == [olm.CMD_SHOW_TEXT]  # the read's own line only
    assert cam.heartbeat().open_gate is False
    assert [f.cmd for f in cam.serial_frames] == [olm.CMD_SHOW_TEXT, olm.CMD_SHOW_TEXT]  # the hand text, with the heartbeat
    assert hub.cameras["SN1"].online()


def test_console_open_reaches_a_comet_camera_with_its_next_heartbeat(hub):
    cam = CameraSimulator("SN1", hub.ingress.url)
    assert cam.heartbeat().open_gate is False
    hub.cameras["SN1"].open()
    assert cam.heartbeat().open_gate is True
    assert cam.heartbeat().open_gate is False


def test_offline_record_sent_twice_is_confirmed_twice_but_decided_once(hub):
    cam = CameraSimulator("SN1", "http://127.0.0.1:1", clock=lambda: FIXED, timeout=0.5)
    with pytest.raises(TransportError):
        cam.push_plate("粤B12345")
    record = cam.offline[0]
    cam.host, cam.port = hub.ingress.server_address
    first = cam.push_result(record)
    again = cam.push_result(record)
    assert first.continue_offline_plateid == again.continue_offline_plateid == record.plateid
    assert len(hub.reads) == 1


def test_unknown_camera_is_counted_and_left_closed(hub):
    cam = CameraSimulator("SN-STRANGER", hub.ingress.url)
    assert cam.push_plate("粤B12345").open_gate is False
    assert hub.unknown == {"SN-STRANGER": 1}
