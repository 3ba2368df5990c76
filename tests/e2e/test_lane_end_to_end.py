"""A plate read at a real HTTP camera ingress ends with the gate open, the LED told, and the record in SQL."""

from __future__ import annotations

import http.client
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drivers.vz.push import PLATE_RESULT_PATH
from parking.agent.process import Agent
from parking.models import LotEvent, ParkingSession, SessionStatus
from parking.worker import Worker
from simulators.camera import CameraSimulator

from ..conftest import FIXED_NOW, Clock


@pytest.fixture
def agent(runtime, village, clock):  # type: ignore[no-untyped-def]
    with Agent(runtime, "127.0.0.1", 0, clock=clock) as running:
        yield running


def camera(agent: Agent, serial: str, clock: Clock) -> CameraSimulator:
    return CameraSimulator(serial, agent.camera_urls(serial).get("push_url", agent.url), clock=clock)


def texts(cam: CameraSimulator) -> list[str]:
    shown = []
    for frame in cam.serial_frames:
        if frame.cmd == 0x62 and frame.data[19:]:  # blank lines clear what an earlier car left
            shown.append(frame.data[19:].decode("gb2312"))
        elif frame.cmd == 0x30:
            shown.append("voice:" + frame.data[1:].decode("gb2312"))
    return shown


def test_entry_read_opens_the_gate_and_the_session_reaches_sql(runtime, village, agent, clock):
    east_in = camera(agent, "VZ-HX-EAST-IN", clock)
    response = east_in.push_plate("粤B12345")
    assert response.open_gate is True
    assert texts(east_in) == ["粤B12345", "临时车", "欢迎光临", "voice:粤B12345,欢迎光临"]
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (1, 40)

    assert Worker(runtime).drain() == 1
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession))
    assert (row.plate, row.status, row.zone_id, row.entry_lane_id) == ("粤B12345", SessionStatus.OPEN, village.outer_zone_id, village.lane("east-in").id)
    assert row.entry_at == FIXED_NOW
    assert row.entry_read == "VZ-HX-EAST-IN:1"


def test_exit_within_the_free_hour_closes_the_session_and_frees_the_space(runtime, village, agent, clock):
    camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345")
    clock.advance(minutes=55)
    east_out = camera(agent, "VZ-HX-EAST-OUT", clock)
    response = east_out.push_plate("粤B12345")
    assert response.open_gate is True
    assert texts(east_out) == ["粤B12345", "停车55分", "一路顺风", "voice:粤B12345,一路顺风"]
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (0, 40)

    Worker(runtime).drain()
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession))
    assert row.status == SessionStatus.CLOSED
    assert (row.exit_at, row.fee_fen) == (FIXED_NOW + timedelta(minutes=55), 0)
    assert row.exit_lane_id == village.lane("east-out").id


def test_an_exit_with_a_fee_due_holds_until_paid(runtime, village, agent, clock):
    camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345")
    clock.advance(hours=1, minutes=5)
    east_out = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert east_out.push_plate("粤B12345").open_gate is False
    # The visitors' sign: 1-2 h costs 5 元.
    assert texts(east_out) == ["粤B12345", "停车1小时5分", "请缴费5元", "voice:粤B12345,请缴费5元"]
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (1, 40)

    assert runtime.store.pay(village.community_lot_id, "粤B12345", 500, clock(), method="qr").outcome == "paid"
    clock.advance(minutes=3)
    assert east_out.push_plate("粤B12345").open_gate is True
    Worker(runtime).drain()
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession))
    assert (row.status, row.fee_fen, row.paid_fen) == (SessionStatus.CLOSED, 500, 500)


def test_exit_with_a_misread_province_matches_the_open_session(runtime, village, agent, clock):
    camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345")
    clock.advance(minutes=10)
    response = camera(agent, "VZ-HX-EAST-OUT", clock).push_plate("湘B12345")
    assert response.open_gate is True
    assert runtime.store.open_plates(village.community_lot_id) == []


def test_exit_between_two_plausible_sessions_waits_for_an_attendant(runtime, village, agent, clock):
    cam_in = camera(agent, "VZ-HX-EAST-IN", clock)
    cam_in.push_plate("粤B12345")
    cam_in.push_plate("湘B12345")
    out = camera(agent, "VZ-HX-EAST-OUT", clock)
    response = out.push_plate("桂B12345")
    assert response.open_gate is False
    assert texts(out)[:3] == ["桂B12345", "请稍候", "人工确认中"]
    assert sorted(runtime.store.open_plates(village.community_lot_id)) == ["湘B12345", "粤B12345"]


def test_a_second_entry_of_a_vehicle_inside_is_refused(runtime, village, agent, clock):
    camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345")
    clock.advance(minutes=1)
    north = camera(agent, "VZ-HX-NORTH-IN", clock)
    assert north.push_plate("粤B12345").open_gate is False
    assert texts(north)[:2] == ["粤B12345", "车辆已在场内"]
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (1, 40)


def test_repeated_reads_at_one_lane_are_one_event(runtime, village, agent, clock):
    cam = camera(agent, "VZ-HX-EAST-IN", clock)
    assert [cam.push_plate("粤B12345").open_gate for _ in range(3)] == [True, True, True]
    Worker(runtime).drain()
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ParkingSession)) == 1
        assert list(db.scalars(select(LotEvent.kind).where(LotEvent.kind != "capacity_set"))) == ["entered"]


def test_a_full_zone_keeps_the_gate_closed(runtime, village, agent, clock):
    runtime.store.set_capacities(village.office_lot_id, {village.office_zone_id: 1})
    cam = camera(agent, "VZ-KJ-IN", clock)
    assert cam.push_plate("粤B11111").open_gate is True
    assert cam.push_plate("粤B22222").open_gate is False
    assert texts(cam)[-3:] == ["粤B22222", "车位已满", "voice:车位已满,请绕行"]
    assert runtime.store.occupancy(village.office_lot_id)[village.office_zone_id] == (1, 1)


def test_an_offline_record_is_admitted_at_the_camera_time_and_confirmed(runtime, village, agent, clock):
    cam = camera(agent, "VZ-HX-EAST-IN", clock)
    result = cam.make_result("粤B54321")
    stored_at = FIXED_NOW - timedelta(minutes=20)
    from dataclasses import replace

    cam.offline.append(replace(result, is_offline=True, timestamp=stored_at))
    assert cam.push_offline() == 1
    Worker(runtime).drain()
    with runtime.sessions() as db:
        assert db.scalar(select(ParkingSession.entry_at)) == stored_at


# -- bad input -------------------------------------------------------------------------------------------
def post(agent: Agent, body: bytes, path: str = PLATE_RESULT_PATH) -> tuple[int, dict]:
    host, port = agent.ingress.server_address
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")
    finally:
        conn.close()


def no_state_written(runtime, village) -> bool:  # type: ignore[no-untyped-def]
    return runtime.store.open_plates(village.community_lot_id) == [] and runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (0, 40)


def test_broken_json_gets_400_naming_the_problem(runtime, village, agent):
    status, body = post(agent, b'{"AlarmInfoPlate": {')
    assert status == 400
    assert "JSON" in body["error"]
    assert no_state_written(runtime, village)


def test_a_push_without_the_plate_field_gets_400_naming_the_field(runtime, village, agent):
    payload = {"AlarmInfoPlate": {"serialno": "VZ-HX-EAST-IN", "result": {"PlateResult": {"colorType": 1}}}}
    status, body = post(agent, json.dumps(payload).encode())
    assert status == 400
    assert "license" in body["error"]
    assert no_state_written(runtime, village)


def test_an_unknown_camera_gets_a_closed_gate(runtime, village, agent, clock):
    response = camera(agent, "VZ-NOT-CONFIGURED", clock).push_plate("粤B12345")
    assert response.open_gate is False
    assert no_state_written(runtime, village)


def test_an_impossible_plate_keeps_the_gate_closed_and_is_journaled(runtime, village, agent, clock):
    cam = camera(agent, "VZ-HX-EAST-IN", clock)
    assert cam.push_plate("XX1234567890").open_gate is False
    assert texts(cam)[:2] == ["车牌识别失败", "请联系管理员"]
    assert no_state_written(runtime, village)
    Worker(runtime).drain()
    with runtime.sessions() as db:
        assert list(db.scalars(select(LotEvent.kind).where(LotEvent.kind != "capacity_set"))) == ["read_rejected"]


def test_a_no_plate_vehicle_is_asked_to_scan_the_code(runtime, village, agent, clock):
    cam = camera(agent, "VZ-HX-EAST-IN", clock)
    assert cam.push_plate("_无_", 0, 31).open_gate is False
    assert texts(cam) == ["无牌车", "请扫码入场", "voice:无牌车,请扫码入场"]
    assert no_state_written(runtime, village)


def test_a_body_over_the_limit_gets_413(runtime, village, agent):
    status, body = post(agent, b"{" + b" " * (runtime.settings.max_push_bytes + 10) + b"}")
    assert status == 413
    assert no_state_written(runtime, village)
