"""The console pages: live occupancy from Redis, lanes, sessions from SQL with filters and pages, passes."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from parking.runtime import Runtime
from parking.occupancy.store import Claim
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]


def _rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]+)"', html)


def test_live_json_equals_the_store_after_admitting_three_cars(client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    admit("粤B10001", "粤B10002", "粤B10003")
    lots = {lot["id"]: lot for lot in client.get("/console/live").get_json()["lots"]}
    community = lots[village.community_lot_id]
    assert {z["id"]: (z["present"], z["capacity"]) for z in community["zones"]} == runtime.store.occupancy(village.community_lot_id)
    assert [{k: v for k, v in zone.items() if k != "pools"} for zone in community["zones"]] == [
        {"id": village.outer_zone_id, "present": 3, "capacity": 40, "free": 37},
        {"id": village.inner_zone_id, "present": 0, "capacity": 12, "free": 12},
    ]
    assert (community["present"], community["capacity"], community["free"]) == (3, 52, 49)


def test_live_json_and_dashboard_count_pools(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    pools = {(village.outer_zone_id, "temporary"): 25, (village.outer_zone_id, "pass"): 15}
    runtime.store.set_capacities(village.community_lot_id, {village.outer_zone_id: 40}, pools, force=True)
    lane = village.lane("east-in")
    claim = (Claim(pool="temporary", vehicle_class="temporary"),)
    assert runtime.store.admit(lane.lot_id, lane.zone_id, "粤B12345", FIXED_NOW, lane_id=lane.id, claims=claim).outcome == "admitted"
    login("attendant")
    outer = client.get("/console/live").get_json()["lots"][0]["zones"][0]
    assert outer["pools"] == [
        {"kind": "temporary", "present": 1, "capacity": 25, "free": 24},
        {"kind": "pass", "present": 0, "capacity": 15, "free": 15},
    ]
    html = client.get("/console/").get_data(as_text=True)
    assert '<span class="pool" data-pool="temporary">临时车位 空余 <b data-field="pool-free">24</b>/<span data-field="pool-capacity">25</span></span>' in html


def test_live_json_is_never_cached(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert client.get("/console/live").headers["Cache-Control"] == "no-store"


def test_dashboard_shows_the_inner_zone_nested_under_its_outer_zone(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = client.get("/console/").get_data(as_text=True)
    assert _rows(html, "data-zone") == [str(village.outer_zone_id), str(village.inner_zone_id), str(village.office_zone_id)]
    assert f'data-zone="{village.inner_zone_id}" class="depth-1"' in html
    assert f'data-zone="{village.outer_zone_id}" class="depth-0"' in html


def test_dashboard_counts_come_from_redis(client: FlaskClient, login, admit, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B20001", "粤B20002", zone_id=village.inner_zone_id)
    login("attendant")
    html = client.get("/console/").get_data(as_text=True)
    row = html.split(f'data-zone="{village.inner_zone_id}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-field="present">2</td>' in row
    assert '<td class="num free" data-field="free">10</td>' in row


def test_lanes_page_lists_lot_direction_and_camera_serial(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = client.get("/console/lanes").get_data(as_text=True)
    assert re.findall(r"<code>([^<]+)</code>", html)[:3] == ["VZ-HX-EAST-IN", "VZ-HX-NORTH-IN", "VZ-HX-EAST-OUT"]
    assert re.findall(r"<code>([^<]+)</code>", html) == [lane.camera_serial for lane in village.lanes]
    assert html.count('<span class="tag">入口</span>') == sum(lane.direction == "entry" for lane in village.lanes)
    assert html.count('<span class="tag">出口</span>') == sum(lane.direction == "exit" for lane in village.lanes)


def test_sessions_page_shows_full_plates_to_operators(client: FlaskClient, login, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B12345")
    login("attendant")
    html = client.get("/console/sessions").get_data(as_text=True)
    assert '<td class="plate">粤B12345</td>' in html
    assert "2026-11-25 17:30" in html  # 09:30 UTC shown in Asia/Shanghai


def test_sessions_page_filters_by_status(client: FlaskClient, login, admit, drive_out) -> None:  # type: ignore[no-untyped-def]
    admit("粤B30001", "粤B30002", "粤B30003")
    drive_out("粤B30002")
    login("attendant")
    closed = client.get("/console/sessions?status=closed").get_data(as_text=True)
    opened = client.get("/console/sessions?status=open").get_data(as_text=True)
    assert re.findall(r'<td class="plate">([^<]+)</td>', closed) == ["粤B30002"]
    assert re.findall(r'<td class="plate">([^<]+)</td>', opened) == ["粤B30003", "粤B30001"]


def test_sessions_page_filters_by_lot(client: FlaskClient, login, admit, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B40001")
    admit("粤B40002", lane_code="gate-in")
    login("attendant")
    html = client.get(f"/console/sessions?lot={village.office_lot_id}").get_data(as_text=True)
    assert re.findall(r'<td class="plate">([^<]+)</td>', html) == ["粤B40002"]


def test_sessions_page_is_paged_thirty_at_a_time(client: FlaskClient, login, admit) -> None:  # type: ignore[no-untyped-def]
    admit(*[f"粤B5{i:04d}" for i in range(31)])
    login("attendant")
    first = client.get("/console/sessions").get_data(as_text=True)
    second = client.get("/console/sessions?page=2").get_data(as_text=True)
    assert len(re.findall(r'<td class="plate">', first)) == 30
    assert re.findall(r'<td class="plate">([^<]+)</td>', second) == ["粤B50000"]
    assert "共 31 条记录" in first
    assert "第 2 / 2 页" in second


def test_sessions_page_ignores_a_page_number_that_is_not_a_number(client: FlaskClient, login, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B60001")
    login("attendant")
    response = client.get("/console/sessions?page=abc&lot=x&status=bogus")
    assert response.status_code == 200
    assert '<td class="plate">粤B60001</td>' in response.get_data(as_text=True)


def test_passes_page_lists_holders_and_full_plates(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    html = client.get("/console/passes").get_data(as_text=True)
    assert re.findall(r'<td class="plate">([^<]+)</td>', html) == ["粤B3M001", "粤B5P002", "粤B8E101, 粤B8E102, 粤B8E103", "粤BD12345"]
    assert "和谐里 7 栋 陈先生(夜间共享)" in html
    assert "19:00–07:30" in html


def test_attendant_does_not_see_the_passes_link(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert "/console/passes" not in client.get("/console/").get_data(as_text=True)
