"""The lane console (岗亭): camera health and the latest read per lane, the gate by hand with a reason,
a text on the board, the JSON twin of those commands, snapshots served to operators, zombie vehicles.

Commands go end to end: a real agent subscribes to the lot's command channel and acknowledges, and the
camera's next heartbeat carries the order to open the gate.
"""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, update

from parking.agent.process import Agent
from parking.models import AuditEvent, Operator, ParkingSession
from parking.occupancy import LotKeys, to_ms
from parking.occupancy.recorder import Recorder
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.snapshots import Snapshot, SnapshotStore
from parking.worker import Worker
from simulators.camera import CameraSimulator, CometPoller
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]


# -- vocabulary ----------------------------------------------------------------------------------------

@pytest.fixture
def agent(runtime: Runtime, village: DemoVillage) -> Iterator[Agent]:
    with Agent(runtime, "127.0.0.1", 0) as running:
        yield running


def _card(html: str, lane_id: int) -> str:
    """The lane's card on the lanes page."""
    return html.split(f'data-lane="{lane_id}"', 1)[1].split("</section>", 1)[0]


def _token(client: FlaskClient) -> str:
    return csrf_token(client.get("/console/lanes").get_data(as_text=True))


def _gate(client: FlaskClient, lane_id: int, action: str, reason: str, detail: str = "", **extra: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": _token(client), "action": action, "reason": reason, "reason_detail": detail, **extra}
    return client.post(f"/console/lanes/{lane_id}/gate", data=data, follow_redirects=True)


def _flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-(?:info|error)" role="status">([^<]*)</p>', html)


def _lane_audit(runtime: Runtime) -> list[tuple[str, str, dict[str, object], int | None]]:
    with runtime.sessions() as db:
        rows = db.scalars(select(AuditEvent).where(AuditEvent.action.like("lane.%")).order_by(AuditEvent.id))
        return [(e.action, e.target, e.detail, e.operator_id) for e in rows]


def _operator_id(runtime: Runtime, username: str) -> int:
    with runtime.sessions() as db:
        found = db.scalar(select(Operator.id).where(Operator.username == username))
        assert found is not None
        return found


def _jpeg(size: tuple[int, int] = (640, 360)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (30, 110, 70)).save(out, "JPEG")
    return out.getvalue()


def _save_snapshot(runtime: Runtime, lot_id: int, ref: str = "stay-1") -> Snapshot:
    return SnapshotStore(runtime.settings.instance_path / "snapshots").save(lot_id, FIXED_NOW, "scene", _jpeg(), ref=ref)


def _record(runtime: Runtime, village: DemoVillage) -> None:
    Recorder(runtime.redis, runtime.sessions, [village.community_lot_id, village.office_lot_id]).drain()


# -- camera health -------------------------------------------------------------------------------------

def test_camera_is_online_when_heard_within_30_seconds_and_offline_after(app: Flask, client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    keys = LotKeys(village.community_lot_id)
    east_in, east_out, north_in = village.lane("east-in"), village.lane("east-out"), village.lane("north-in")
    runtime.redis.hset(keys.device("VZ-HX-EAST-IN"), mapping={"online": 1, "last_seen_ms": to_ms(FIXED_NOW - timedelta(seconds=10)), "lane": east_in.id})
    runtime.redis.hset(keys.device("VZ-HX-EAST-OUT"), mapping={"online": 1, "last_seen_ms": to_ms(FIXED_NOW - timedelta(seconds=31)), "lane": east_out.id})
    login("attendant")
    html = client.get("/console/lanes").get_data(as_text=True)
    assert '<span class="device device-online" data-field="camera">在线</span>' in _card(html, east_in.id)
    assert "最后上报 2026-11-25 17:29:50" in _card(html, east_in.id)  # in the lot's time zone
    assert '<span class="device device-offline" data-field="camera">离线</span>' in _card(html, east_out.id)
    assert "最后上报 2026-11-25 17:29:29" in _card(html, east_out.id)
    assert '<span class="device device-offline" data-field="camera">离线</span>' in _card(html, north_in.id)
    assert "从未上报" in _card(html, north_in.id)


def test_camera_the_agent_reports_offline_is_offline_even_if_heard_lately(app: Flask, client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    lane = village.lane("east-in")
    runtime.redis.hset(LotKeys(lane.lot_id).device("VZ-HX-EAST-IN"), mapping={"online": 0, "last_seen_ms": to_ms(FIXED_NOW), "lane": lane.id})
    login("attendant")
    assert 'data-field="camera">离线</span>' in _card(client.get("/console/lanes").get_data(as_text=True), lane.id)


def test_camera_heard_by_a_running_agent_shows_online(client: FlaskClient, login, agent: Agent, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    CameraSimulator("VZ-HX-EAST-IN", agent.camera_urls("VZ-HX-EAST-IN")["push_url"]).heartbeat()
    agent.report_health()
    login("attendant")
    html = client.get("/console/lanes").get_data(as_text=True)
    assert 'data-field="camera">在线</span>' in _card(html, village.lane("east-in").id)
    assert 'data-field="camera">离线</span>' in _card(html, village.lane("north-in").id)


# -- latest read ---------------------------------------------------------------------------------------

def test_latest_read_of_each_lane_with_plate_decision_and_time_in_the_lots_zone(client: FlaskClient, login, admit, drive_out, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B11111", "粤B22222")
    drive_out("粤B11111")
    north = village.lane("north-in")
    runtime.store.journal(north.lot_id, "read_rejected", FIXED_NOW + timedelta(minutes=5), data={"lane": north.id, "raw": "粤Z?", "reason": "unreadable"})
    _record(runtime, village)
    login("attendant")
    html = client.get("/console/lanes").get_data(as_text=True)
    east_in = _card(html, village.lane("east-in").id)
    assert re.search(r'data-field="plate">粤B22222</b>\s*<span class="decision" data-field="decision" data-kind="entered">已入场</span>', east_in)
    assert "2026-11-25 17:31:00" in east_in
    east_out = _card(html, village.lane("east-out").id)
    assert re.search(r'data-field="plate">粤B11111</b>\s*<span class="decision" data-field="decision" data-kind="exited">已出场</span>', east_out)
    assert "2026-11-25 18:30:00" in east_out
    north_card = _card(html, north.id)
    assert 'data-kind="read_rejected">识别无效</span>' in north_card and "粤Z?" in north_card
    assert "暂无识别记录" in _card(html, village.lane("gate-in").id)


def test_latest_read_through_the_agent_shows_its_snapshot(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    assert CameraSimulator("VZ-HX-EAST-IN", agent.camera_urls("VZ-HX-EAST-IN")["push_url"]).push_plate("粤B12345", with_image=True).open_gate
    assert agent.devices.drain(timeout=5)  # snapshots are stored after the camera was answered
    Worker(runtime).drain()
    login("attendant")
    card = _card(client.get("/console/lanes").get_data(as_text=True), village.lane("east-in").id)
    assert 'data-kind="entered">已入场</span>' in card
    thumb = re.search(r'<img class="thumb" src="([^"]+)"', card)
    assert thumb and thumb.group(1).endswith("-scene.jpg?thumb=1")
    response = client.get(thumb.group(1))
    assert (response.status_code, response.mimetype) == (200, "image/jpeg")


# -- the gate by hand ----------------------------------------------------------------------------------

def _camera(agent: Agent, serial: str) -> CameraSimulator:
    return CameraSimulator(serial, agent.camera_urls(serial)["push_url"])


def _heard_camera(agent: Agent, serial: str) -> CameraSimulator:
    """A camera the agent has heard once, so its lane is online before any command is sent (a comet
    poller started just before the command might not have reached the agent yet)."""
    camera = _camera(agent, serial)
    camera.heartbeat()
    return camera


def test_opening_the_gate_is_delivered_by_the_cameras_heartbeat_and_audited(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    with CometPoller(_heard_camera(agent, "VZ-HX-EAST-OUT")) as camera:
        response = _gate(client, lane.id, "open", "visitor")
    assert response.status_code == 200
    assert _flashes(response.get_data(as_text=True)) == ["东门出口：抬杆指令已送达设备。"]
    [(action, target, detail, operator)] = _lane_audit(runtime)
    assert (action, target, operator) == ("lane.open", "east-out", _operator_id(runtime, "attendant"))
    assert {k: detail[k] for k in ("lane_id", "lot_id", "reason", "heard", "outcome")} == {
        "lane_id": lane.id, "lot_id": lane.lot_id, "reason": "访客未登记", "heard": 1, "outcome": "delivered",
    }
    assert sum(r.open_gate for r in camera.log.responses) == 1  # opened once, by the answer to one heartbeat


def test_opening_a_lane_whose_camera_is_not_heard_says_so_and_queues_nothing(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    html = _gate(client, lane.id, "open", "visitor").get_data(as_text=True)
    assert _flashes(html) == ["东门出口：车道设备离线，抬杆指令未发送，请到现场处理。"]
    assert [d["outcome"] for _, _, d, _ in _lane_audit(runtime)] == ["lane_offline"]
    assert _camera(agent, "VZ-HX-EAST-OUT").heartbeat().open_gate is False  # nothing waits to open it later


def test_a_gate_command_is_journaled_by_the_agent_with_operator_and_reason(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    from parking.models import LotEvent

    lane = village.lane("east-out")
    login("manager")
    html = _gate(client, lane.id, "close", "fault", "道闸抬起后不落").get_data(as_text=True)
    assert _flashes(html) == ["东门出口：该车道道闸由地感自动落杆，无法远程落杆；已撤销 0 条未执行的抬杆指令。"]
    Worker(runtime).drain()
    with runtime.sessions() as db:
        event = db.scalar(select(LotEvent).where(LotEvent.kind == "lane_command"))
    assert event is not None
    assert {k: event.payload[k] for k in ("lane", "action", "reason", "operator", "outcome")} == {
        "lane": lane.id, "action": "close", "reason": "设备故障：道闸抬起后不落", "operator": _operator_id(runtime, "manager"), "outcome": "not_supported",
    }


def test_without_an_agent_the_page_says_the_controller_did_not_answer(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    html = _gate(client, lane.id, "open", "free").get_data(as_text=True)
    assert _flashes(html) == ["东门出口：车道控制器未连接，抬杆指令未发送，请到现场确认。"]
    [(action, _, detail, _)] = _lane_audit(runtime)
    assert (action, detail["heard"], detail["outcome"], detail["reason"]) == ("lane.open", 0, "no_agent", "免费放行")


def test_other_reason_records_the_operators_words(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    _gate(client, village.lane("east-out").id, "open", "other", "  救护车  进场 ")
    assert [detail["reason"] for _, _, detail, _ in _lane_audit(runtime)] == ["救护车 进场"]


@pytest.mark.parametrize(("reason", "detail", "message"), [
    ("", "", "请选择抬杆的原因。"),
    ("because", "", "请选择抬杆或落杆的原因。"),
    ("other", "   ", "选择“其他”时请填写说明。"),
])
def test_a_gate_command_without_a_listed_reason_is_refused_and_not_sent(client: FlaskClient, login, runtime: Runtime, village: DemoVillage, reason: str, detail: str, message: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = _gate(client, village.lane("east-out").id, "open", reason, detail).get_data(as_text=True)
    assert message in _flashes(html)
    assert _lane_audit(runtime) == []


def test_an_unknown_gate_action_is_refused(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    _gate(client, village.lane("east-out").id, "lift", "visitor")
    assert _lane_audit(runtime) == []


def test_gate_form_without_csrf_token_is_rejected(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post(f"/console/lanes/{village.lane('east-out').id}/gate", data={"action": "open", "reason": "visitor"})
    assert response.status_code == 400
    assert _lane_audit(runtime) == []


def test_gate_command_for_an_unknown_lane_is_404(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post("/console/lanes/999/gate", data={"csrf_token": _token(client), "action": "open", "reason": "visitor"})
    assert response.status_code == 404


def test_gate_command_needs_sign_in(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(f"/console/lanes/{village.lane('east-out').id}/gate", data={"csrf_token": token, "action": "open", "reason": "visitor"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert _lane_audit(runtime) == []


# -- a text on the board -------------------------------------------------------------------------------

def test_text_is_shown_and_spoken_at_the_lane(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-in")
    login("attendant")
    with CometPoller(_heard_camera(agent, "VZ-HX-EAST-IN")) as camera:
        html = client.post(f"/console/lanes/{lane.id}/text", data={"csrf_token": _token(client), "text": "请走左侧车道"},
                           follow_redirects=True).get_data(as_text=True)
    assert _flashes(html) == ["东门入口：显示文字指令已送达设备。"]
    assert [frame.data[19:].decode("gb2312") for frame in camera.serial_frames if frame.cmd == 0x62] == ["请走左侧车道"]
    [(action, _, detail, _)] = _lane_audit(runtime)
    assert (action, detail["text"], detail["outcome"]) == ("lane.show_text", "请走左侧车道", "delivered")


@pytest.mark.parametrize(("text", "message"), [
    ("   ", "请填写要显示的文字。"),
    ("欢迎🚗", "显示屏无法显示字符“🚗”。"),
    ("长" * 65, "文字太长，最多 64 个字。"),
])
def test_text_the_board_cannot_show_is_refused(client: FlaskClient, login, runtime: Runtime, village: DemoVillage, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = client.post(f"/console/lanes/{village.lane('east-in').id}/text", data={"csrf_token": _token(client), "text": text}, follow_redirects=True).get_data(as_text=True)
    assert message in _flashes(html)
    assert _lane_audit(runtime) == []


def test_lanes_page_in_english(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    card = _card(client.get("/console/lanes?lang=en").get_data(as_text=True), village.lane("east-out").id)
    assert '<button type="submit" name="action" value="open" class="primary">Open gate</button>' in card
    assert '<option value="visitor">Unregistered visitor</option>' in card


# -- the JSON twin -------------------------------------------------------------------------------------

def test_api_command_answers_with_the_agents_acknowledgement(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    with CometPoller(_heard_camera(agent, "VZ-HX-EAST-OUT")) as camera:
        response = client.post(f"/api/v1/lanes/{lane.id}/commands", json={"action": "open", "reason": "访客未登记，物业确认"})
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("lane_id", "lot_id", "action", "reason", "heard", "acknowledged", "outcome", "delivered")} == {
        "lane_id": lane.id, "lot_id": lane.lot_id, "action": "open", "reason": "访客未登记，物业确认",
        "heard": 1, "acknowledged": True, "outcome": "delivered", "delivered": True,
    }
    assert len(body["uid"]) == 32 and body["outcome_at"] and body["deadline_seconds"] == 5
    assert [(a, d["command"]) for a, _, d, _ in _lane_audit(runtime)] == [("lane.open", body["uid"])]
    assert sum(r.open_gate for r in camera.log.responses) == 1
    state = client.get(f"/api/v1/lanes/{lane.id}/commands/{body['uid']}").get_json()
    assert (state["outcome"], state["action"], state["reason"]) == ("delivered", "open", "访客未登记，物业确认")


def test_api_command_nobody_hears_is_503(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    response = client.post(f"/api/v1/lanes/{lane.id}/commands", json={"action": "close", "reason": "设备故障"})
    assert response.status_code == 503
    assert response.get_json() == {"error": {
        "code": 503, "status": "Service Unavailable",
        "message": f"no lane controller (agent) serves lot {lane.lot_id} now; the command was not delivered", "field": None,
    }}
    assert [(a, d["heard"]) for a, _, d, _ in _lane_audit(runtime)] == [("lane.close", 0)]


def test_api_command_heard_but_not_reported_on_is_202_pending(app: Flask, client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    app.config["PARKING_SETTINGS"] = replace(app.config["PARKING_SETTINGS"], command_seconds=1)
    silent_agent = runtime.store.commands.subscribe([lane.lot_id])
    try:
        login("attendant")
        response = client.post(f"/api/v1/lanes/{lane.id}/commands", json={"action": "open", "reason": "访客"})
    finally:
        silent_agent.close()
    assert response.status_code == 202
    body = response.get_json()
    assert (body["heard"], body["acknowledged"], body["outcome"], body["outcome_at"]) == (1, False, "pending", None)
    assert [(a, d["heard"], d["outcome"]) for a, _, d, _ in _lane_audit(runtime)] == [("lane.open", 1, "pending")]


def test_api_command_to_a_lane_whose_camera_is_not_heard_is_409_lane_offline(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post(f"/api/v1/lanes/{village.lane('east-out').id}/commands", json={"action": "open", "reason": "访客"})
    assert (response.status_code, response.get_json()["outcome"], response.get_json()["delivered"]) == (409, "lane_offline", False)


def test_an_open_the_camera_does_not_take_in_time_expires_and_is_never_performed(client: FlaskClient, login, agent: Agent, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    camera = _camera(agent, "VZ-HX-EAST-OUT")
    camera.heartbeat()  # heard, so online, but it does not poll again before the deadline
    client.application.config["PARKING_SETTINGS"] = replace(client.application.config["PARKING_SETTINGS"], command_seconds=1)
    login("attendant")
    response = client.post(f"/api/v1/lanes/{lane.id}/commands", json={"action": "open", "reason": "访客"})
    assert (response.status_code, response.get_json()["outcome"]) == (409, "expired")
    assert camera.heartbeat().open_gate is False


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "open"}, "reason"),
    ({"action": "open", "reason": "   "}, "reason"),
    ({"action": "lift", "reason": "访客"}, "action"),
    ({"reason": "访客"}, "action"),
    ({"action": "show_text"}, "text"),
    ({"action": "show_text", "text": "欢迎🚗"}, "text"),
    ({"action": "show_text", "text": "长" * 65}, "text"),
    ({"action": "open", "reason": "访客", "speed": 3}, "speed"),
])
def test_api_bad_command_is_422_naming_the_field(client: FlaskClient, login, runtime: Runtime, village: DemoVillage, body: dict[str, object], field: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post(f"/api/v1/lanes/{village.lane('east-out').id}/commands", json=body)
    assert (response.status_code, response.get_json()["error"]["field"]) == (422, field)
    assert _lane_audit(runtime) == []


def test_api_command_for_an_unknown_lane_is_404_naming_it(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post("/api/v1/lanes/999/commands", json={"action": "open", "reason": "访客"})
    assert response.get_json() == {"error": {"code": 404, "status": "Not Found", "message": "lane 999 not found", "field": "lane_id"}}


def test_api_command_needs_sign_in(client: FlaskClient, village: DemoVillage) -> None:
    response = client.post(f"/api/v1/lanes/{village.lane('east-out').id}/commands", json={"action": "open", "reason": "访客"})
    assert response.status_code == 401


def test_api_command_from_a_form_post_is_not_taken(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post(f"/api/v1/lanes/{village.lane('east-out').id}/commands", data={"action": "open", "reason": "访客"})
    assert (response.status_code, response.get_json()["error"]["field"]) == (422, "action")
    assert _lane_audit(runtime) == []


# -- snapshots -----------------------------------------------------------------------------------------

def test_snapshot_and_its_thumbnail_are_served_to_operators(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    stored = _save_snapshot(runtime, village.community_lot_id)
    login("attendant")
    full = client.get(f"/console/snapshots/{stored.path}")
    thumb = client.get(f"/console/snapshots/{stored.path}?thumb=1")
    assert (full.status_code, full.mimetype, thumb.status_code, thumb.mimetype) == (200, "image/jpeg", 200, "image/jpeg")
    assert Image.open(BytesIO(full.data)).size == (640, 360)
    assert Image.open(BytesIO(thumb.data)).size == (320, 180)
    assert "private" in full.headers["Cache-Control"] and "public" not in full.headers["Cache-Control"]


@pytest.mark.parametrize("path", [
    "../../parking.sqlite",
    "1/2026-11-25/../../../parking.sqlite",
    "1/2026-11-25/stay-1-scene.png",
    "1/not-a-day/stay-1-scene.jpg",
    "1/2026-11-25/.hidden-scene.jpg",
])
def test_snapshot_path_the_store_refuses_is_404(client: FlaskClient, login, runtime: Runtime, village: DemoVillage, path: str) -> None:  # type: ignore[no-untyped-def]
    _save_snapshot(runtime, village.community_lot_id)
    login("attendant")
    assert client.get(f"/console/snapshots/{path}").status_code == 404


def test_purged_snapshot_is_404(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    stored = _save_snapshot(runtime, village.community_lot_id)
    (runtime.settings.instance_path / "snapshots" / stored.path).unlink()
    login("attendant")
    assert client.get(f"/console/snapshots/{stored.path}").status_code == 404
    assert client.get(f"/console/snapshots/{stored.path}?thumb=1").status_code == 200  # the thumbnail is a file of its own


def test_snapshot_needs_sign_in(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    stored = _save_snapshot(runtime, village.community_lot_id)
    response = client.get(f"/console/snapshots/{stored.path}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_sessions_page_shows_entry_and_exit_thumbnails_when_stored(client: FlaskClient, login, admit, drive_out, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B12345", "粤B67890")
    drive_out("粤B12345")
    entry, leaving = _save_snapshot(runtime, village.community_lot_id, "in-1"), _save_snapshot(runtime, village.community_lot_id, "out-1")
    with runtime.sessions() as db, db.begin():
        db.execute(update(ParkingSession).where(ParkingSession.plate == "粤B12345").values(entry_snapshot=entry.path, exit_snapshot=leaving.path))
        db.execute(update(ParkingSession).where(ParkingSession.plate == "粤B67890").values(entry_snapshot="1/2026-11-25/purged-scene.jpg"))
    login("attendant")
    html = client.get("/console/sessions").get_data(as_text=True)
    left = html.split('<td class="plate">粤B12345</td>', 1)[1].split("</tr>", 1)[0]
    inside = html.split('<td class="plate">粤B67890</td>', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/console/snapshots/{entry.path}" data-snapshot="entry"><img class="thumb" src="/console/snapshots/{entry.path}?thumb=1"' in left
    assert f'<a href="/console/snapshots/{leaving.path}" data-snapshot="exit">' in left
    assert "<img" not in inside  # purged: no broken image


# -- zombie vehicles -----------------------------------------------------------------------------------

def test_zombie_page_lists_stays_older_than_the_lots_threshold(app: Flask, client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B00001")
    lane = village.lane("east-in")
    assert runtime.store.admit(lane.lot_id, lane.zone_id, "粤B00002", FIXED_NOW + timedelta(days=20), lane_id=lane.id).outcome == "admitted"
    _record(runtime, village)
    entry = _save_snapshot(runtime, village.community_lot_id, "zombie-1")
    with runtime.sessions() as db, db.begin():
        db.execute(update(ParkingSession).where(ParkingSession.plate == "粤B00001").values(entry_snapshot=entry.path))
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(days=40, hours=1)
    login("manager")
    html = client.get("/console/zombies").get_data(as_text=True)
    assert re.findall(r'<td class="plate">([^<]+)</td>', html) == ["粤B00001"]
    row = html.split('<td class="plate">粤B00001</td>', 1)[1].split("</tr>", 1)[0]
    assert "<td>和谐里小区</td>" in row and "<td>2026-11-25 17:30</td>" in row
    assert '<td class="num" data-field="days">40</td>' in row
    assert f'src="/console/snapshots/{entry.path}?thumb=1"' in row
    assert "和谐里小区：30 天" in html


def test_zombie_page_is_empty_when_every_stay_is_recent(app: Flask, client: FlaskClient, login, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B00001")
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(days=29)
    login("admin")
    assert "没有超期停放的车辆。" in client.get("/console/zombies").get_data(as_text=True)


def test_zombie_page_is_for_managers_and_admins(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert client.get("/console/zombies").status_code == 403
    assert "/console/zombies" not in client.get("/console/").get_data(as_text=True)
