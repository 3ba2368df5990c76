"""The camera simulator pushing real VZ JSON into the push ingress over loopback."""

import io
from datetime import datetime, timezone

import pytest
from PIL import Image

from drivers import olm
from drivers.errors import TransportError
from drivers.http_ingress import PushIngress, PushReply, PushRequest
from drivers.vz.heartbeat import decode_heartbeat
from drivers.vz.push import HEARTBEAT_PATH, PLATE_RESULT_PATH, VzResponse, decode_plate_result, encode_response
from simulators.camera import CameraSimulator

FIXED = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


class Site:
    """A minimal server side: opens for 粤B12345, speaks and shows text through serialData."""

    def __init__(self):
        self.reads = []
        self.beats = []

    def plate(self, req: PushRequest) -> PushReply:
        r = decode_plate_result(req.body)
        self.reads.append(r)
        resp = VzResponse(open_gate=r.license == "粤B12345",
                          serial_data=[olm.show_text(0, r.license) + olm.speak("欢迎光临")],
                          continue_offline_plateid=r.plateid if r.is_offline else None)
        return PushReply(body=encode_response(resp))

    def heartbeat(self, req: PushRequest) -> PushReply:
        self.beats.append(decode_heartbeat(req.body, req.headers.get("Content-Type")))
        return PushReply(body=encode_response(VzResponse(open_gate=True)))


@pytest.fixture
def site():
    s = Site()
    server = PushIngress("127.0.0.1", 0, {PLATE_RESULT_PATH: s.plate, HEARTBEAT_PATH: s.heartbeat}).start()
    s.url = server.url
    yield s
    server.shutdown()


def test_pushed_plate_is_decoded_and_the_answer_opens_the_gate(site):
    cam = CameraSimulator("SN123", site.url, clock=lambda: FIXED)
    resp = cam.push_plate("粤B12345")
    assert resp.open_gate is True and cam.gate_opened is True
    assert (site.reads[0].serialno, site.reads[0].license, site.reads[0].timestamp) == ("SN123", "粤B12345", FIXED)
    assert [f.cmd for f in cam.serial_frames] == [olm.CMD_SHOW_TEXT, olm.CMD_SPEAK]
    assert cam.serial_frames[1].data == bytes.fromhex("01 BB B6 D3 AD B9 E2 C1 D9")


def test_unknown_plate_leaves_the_gate_closed(site):
    cam = CameraSimulator("SN123", site.url, clock=lambda: FIXED)
    assert cam.push_plate("京A00001").open_gate is False
    assert cam.log.gate_opens == 0


def test_snapshot_jpegs_arrive_and_are_real_images(site):
    cam = CameraSimulator("SN123", site.url, clock=lambda: FIXED)
    cam.push_plate("粤B12345", with_image=True)
    read = site.reads[0]
    assert Image.open(io.BytesIO(read.image)).size == (640, 360)
    assert Image.open(io.BytesIO(read.plate_image)).format == "JPEG"


def test_heartbeat_answer_can_carry_a_gate_open(site):
    cam = CameraSimulator("SN9", site.url)
    assert cam.heartbeat().open_gate is True
    assert site.beats[0].serialno == "SN9"


def test_unreachable_server_keeps_the_record_and_replays_it_as_offline(site):
    cam = CameraSimulator("SN123", "http://127.0.0.1:1", clock=lambda: FIXED, timeout=1)
    with pytest.raises(TransportError, match="failed after 5 attempts"):
        cam.push_plate("粤B12345")
    assert len(cam.offline) == 1 and cam.offline[0].is_offline
    cam.host, cam.port = site.url.removeprefix("http://").split(":")[0], int(site.url.rsplit(":", 1)[1])
    assert cam.push_offline() == 1
    assert site.reads[0].is_offline is True and cam.offline == []
