"""Hikvision ANPR cameras behind one hub, and their ISAPI barrier gate, against the simulator over loopback."""

import http.client
import json
import socket
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from drivers import multipart
from drivers.errors import DeviceRejectedError, DeviceTimeoutError, TransportError
from drivers.hikvision_camera import HikvisionCamera, HikvisionPushHub
from drivers.interfaces import Gate, PlateReader
from drivers.registry import Registry
from simulators.hikvision_camera import HikvisionCameraSimulator, md5_hex
from tests.unit.drivers.test_hikvision import XML as GOLDEN_XML

CHINA = timezone(timedelta(hours=8))
AT = datetime(2024, 5, 1, 8, 30, 15, tzinfo=CHINA)
MAC = "44:19:b6:00:00:01"  # the golden alarm's macAddress


@pytest.fixture
def hub():
    h = HikvisionPushHub("127.0.0.1", 0)
    h.reads = []
    # Registered in another spelling than the alarms use: MACs are compared normalised.
    # The simulated camera pushes from loopback, not from its configured address.
    h.camera("44-19-B6-00-00-01", host="192.168.1.64", username="admin", password="x", on_read=h.reads.append, allow="127.0.0.1")
    h.start()
    yield h
    h.shutdown()


@pytest.fixture
def sim():
    s = HikvisionCameraSimulator(mac=MAC, password="hik12345")
    s.serve()
    yield s
    s.shutdown()


def push_url(h: HikvisionPushHub) -> str:
    return h.ingress.url + h.path


def post(h: HikvisionPushHub, body: bytes, content_type: str) -> tuple[int, bytes]:
    host, port = h.ingress.server_address
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", h.path, body=body, headers={"Content-Type": content_type})
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- pushes


def test_push_reaches_on_read_with_the_plate_and_its_pictures(hub):
    cam = HikvisionCameraSimulator(push_url(hub), mac=MAC, clock=lambda: AT)
    cam.push_plate("粤B12345", plate_color="blue")
    [read] = hub.reads  # every camera kind delivers the one PlateRead, named by the camera's identifier
    assert (read.license, read.color, read.at, read.device) == ("粤B12345", "blue", AT, MAC)
    assert read.plate_image[:2] == read.image[:2] == b"\xff\xd8"
    assert hub.cameras[MAC].online()


def test_answer_is_200_with_an_empty_body(hub):
    cam = HikvisionCameraSimulator(push_url(hub), mac=MAC, clock=lambda: AT)
    assert cam.push_event(cam.make_event("粤B12345", with_images=False)) == (200, b"")


@pytest.mark.parametrize("form", ["bare xml", "multipart"])
def test_golden_alarm_is_read_bare_or_with_pictures(hub, form):
    if form == "bare xml":
        body, ctype = GOLDEN_XML, "application/xml"
    else:
        body, ctype = multipart.build([
            multipart.Part("anpr.xml", GOLDEN_XML, "anpr.xml", "application/xml"),
            multipart.Part("licensePlatePicture.jpg", b"\xff\xd8plate", "licensePlatePicture.jpg", "image/jpeg"),
        ], boundary="boundary123")
    assert post(hub, body, ctype) == (200, b"")
    assert [e.license for e in hub.reads] == ["粤B12345"]


def test_repeated_alarm_is_passed_on_once(hub):
    cam = HikvisionCameraSimulator(push_url(hub), mac=MAC, clock=lambda: AT)
    event = cam.push_plate("粤B12345", with_images=False)
    again, status = cam.repost(event)
    assert (again.active_post_count, status) == (2, 200)
    assert cam.repost(again)[1] == 200
    assert len(hub.reads) == 1 and hub.repeats == 2
    later = cam.make_event("粤B12345", with_images=False, at=AT + timedelta(minutes=5))
    assert cam.push_event(later)[0] == 200
    assert len(hub.reads) == 2


def test_alarm_without_a_time_is_a_repeat_only_when_reposted(hub):
    cam = HikvisionCameraSimulator(push_url(hub), mac=MAC)
    first = replace(cam.make_event("粤B12345", with_images=False), date_time=None)
    cam.push_event(first)
    cam.repost(first)
    cam.push_event(first)  # activePostCount 1: a new alarm for the same car
    assert len(hub.reads) == 2 and hub.repeats == 1


def test_unknown_camera_is_answered_200_and_counted(hub):
    stranger = HikvisionCameraSimulator(push_url(hub), mac="44:19:B6:99:99:99", clock=lambda: AT)
    stranger.push_plate("粤B12345", with_images=False)
    stranger.push_plate("粤B12346", with_images=False)
    assert hub.unknown == {"44:19:b6:99:99:99": 2} and hub.reads == []


@pytest.mark.parametrize("body, ctype, message", [
    (b"\x00\xffgarbage", "application/xml", "not well-formed XML"),
    (b"<EventNotificationAlert><eventType>ANPR</eventType><ANPR/></EventNotificationAlert>", "text/xml",
     "ANPR/licensePlate: missing or empty"),
    (multipart.build([multipart.Part("picture.jpg", b"x", "picture.jpg", "image/jpeg")], "b1")[0],
     "multipart/form-data; boundary=b1", "no anpr.xml part; parts were picture.jpg"),
    (b"--b1\r\ntruncated", "multipart/form-data; boundary=b1", "multipart part 1: headers never end"),
])
def test_garbage_is_400_naming_the_problem_and_the_hub_keeps_serving(hub, body, ctype, message):
    status, answer = post(hub, body, ctype)
    assert status == 400 and message in json.loads(answer)["error"]
    cam = HikvisionCameraSimulator(push_url(hub), mac=MAC, clock=lambda: AT)
    cam.push_plate("粤B12345", with_images=False)
    assert len(hub.reads) == 1


def test_other_event_types_are_heartbeats(hub):
    beat = (b'<?xml version="1.0" encoding="UTF-8"?><EventNotificationAlert version="2.0" '
            b'xmlns="http://www.hikvision.com/ver20/XMLSchema"><macAddress>44:19:b6:00:00:01</macAddress>'
            b"<eventType>videoloss</eventType><eventState>inactive</eventState></EventNotificationAlert>")
    assert post(hub, beat, "application/xml") == (200, b"")
    assert hub.other_events == {"videoloss": 1} and hub.reads == []
    assert hub.cameras[MAC].online()


def test_a_read_the_lane_failed_to_take_is_passed_on_again_when_resent(hub):
    calls = []

    def flaky(read):
        calls.append(read.license)
        if len(calls) == 1:
            raise RuntimeError("lane busy")

    hub.cameras[MAC].on_read = flaky
    cam = HikvisionCameraSimulator(push_url(hub), mac=MAC, clock=lambda: AT)
    event = cam.make_event("粤B12345", with_images=False)
    assert cam.push_event(event)[0] == 500
    assert cam.repost(event)[1] == 200
    assert calls == ["粤B12345", "粤B12345"]


def test_cameras_can_be_told_apart_by_ip_address():
    h = HikvisionPushHub("127.0.0.1", 0, identify_by="ip")
    reads = []
    h.camera("192.168.1.70", host="192.168.1.70", username="admin", password="x", on_read=reads.append, allow="127.0.0.1")
    h.start()
    try:
        HikvisionCameraSimulator(push_url(h), ip="192.168.1.70").push_plate("粤B12345", with_images=False)
        HikvisionCameraSimulator(push_url(h), ip="192.168.1.71").push_plate("粤B12345", with_images=False)
    finally:
        h.shutdown()
    assert len(reads) == 1 and h.unknown == {"192.168.1.71": 1}


# --------------------------------------------------------------------------------------------- gate


def gate_for(sim, **kw) -> HikvisionCamera:
    host, port = sim.address
    kw.setdefault("password", "hik12345")
    return HikvisionCamera(host, port=port, username="admin", **kw)


def test_camera_satisfies_the_lane_interfaces(sim):
    cam = gate_for(sim)
    assert isinstance(cam, Gate) and isinstance(cam, PlateReader)
    assert "hik12345" not in repr(cam)


def test_open_and_close_with_digest_credentials_reach_the_camera(sim):
    cam = gate_for(sim)
    cam.open()
    cam.close()
    assert sim.modes == ["open", "close"]
    assert [(c.channel, c.username) for c in sim.gate_commands] == [(1, "admin"), (1, "admin")]
    assert cam.online() and cam.last_error is None


def test_wrong_password_is_rejected_naming_401_after_a_single_try(sim):
    cam = gate_for(sim, password="wrong")
    with pytest.raises(DeviceRejectedError, match="HTTP 401 \\(Unauthorized\\)"):
        cam.open()
    assert sim.gate_commands == [] and sim.auth_failures == 1
    assert "HTTP 401" in cam.last_error


def test_a_channel_the_camera_lacks_is_rejected_with_its_status(sim):
    with pytest.raises(DeviceRejectedError, match="HTTP 404 \\(Invalid Operation / notSupport\\)"):
        gate_for(sim, channel=2).open()


def test_a_camera_that_never_answers_times_out_within_the_timeout():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # the kernel accepts the connection; nobody ever reads or writes
    try:
        cam = HikvisionCamera("127.0.0.1", port=silent.getsockname()[1], username="admin", password="x",
                              timeout=0.3)
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError, match="no answer within 0.3 s"):
            cam.open()
        assert time.monotonic() - started < 0.3 + 1.0
    finally:
        silent.close()


def test_a_closed_port_is_a_transport_error():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(TransportError, match=f"127.0.0.1:{port} channel 1: PUT /ISAPI/Parking"):
        HikvisionCamera("127.0.0.1", port=port, username="admin", password="x", timeout=1).open()


def test_simulator_checks_the_digest_response_and_refuses_a_replay(sim):
    host, port = sim.address
    path, body = "/ISAPI/Parking/channels/1/barrierGate", b"<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>"

    def put(headers):
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("PUT", path, body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        conn.close()
        return reply

    challenge = put({}).getheader("WWW-Authenticate")
    assert challenge.startswith("Digest ") and 'qop="auth"' in challenge
    fields = dict(part.strip().split("=", 1) for part in challenge[7:].split(","))
    realm, nonce, opaque = (fields[k].strip('"') for k in ("realm", "nonce", "opaque"))
    ha1, ha2 = md5_hex(f"admin:{realm}:hik12345"), md5_hex(f"PUT:{path}")
    response = md5_hex(f"{ha1}:{nonce}:00000001:0a4f113b:auth:{ha2}")
    auth = (f'Digest username="admin", realm="{realm}", nonce="{nonce}", uri="{path}", qop=auth, nc=00000001, '
            f'cnonce="0a4f113b", response="{response}", opaque="{opaque}", algorithm=MD5')
    assert put({"Authorization": auth}).status == 200
    assert put({"Authorization": auth}).status == 401  # the same nc again: a replay
    assert sim.modes == ["open"]


# ------------------------------------------------------------------------------------------ by URL


def test_a_camera_opened_by_url_reads_plates_and_opens_its_gate():
    sim = HikvisionCameraSimulator(mac=MAC, password="p@ss:w/rd")
    host, port = sim.serve()
    reg = Registry()
    cam = reg.open(f"hik-http://admin:p%40ss%3Aw%2Frd@{host}:{port}?listen=127.0.0.1:0&id={MAC}&timeout=1")
    reads = []
    cam.on_read = reads.append
    hub = reg.hubs[("hik-http", "127.0.0.1", 0)]
    hub.start()
    try:
        sim.push_url = push_url(hub)
        sim.push_plate("粤B12345", with_images=False)
        cam.open()
    finally:
        hub.shutdown()
        sim.shutdown()
    assert [e.license for e in reads] == ["粤B12345"] and sim.modes == ["open"]


def test_an_alarm_from_an_address_the_camera_does_not_push_from_is_refused_and_counted():
    h = HikvisionPushHub("127.0.0.1", 0)
    reads = []
    h.camera(MAC, host="192.168.1.64", username="admin", password="x", on_read=reads.append)  # allowed: 192.168.1.64 only
    h.start()
    try:
        cam = HikvisionCameraSimulator(push_url(h), mac=MAC, clock=lambda: AT)
        status, _ = cam.push_event(cam.make_event("粤B12345", with_images=False))
    finally:
        h.shutdown()
    assert (status, reads, h.cameras[MAC].refused, h.cameras[MAC].last_heard) == (403, [], {"source": 1}, None)
