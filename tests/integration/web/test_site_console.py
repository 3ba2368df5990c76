"""The site configuration pages (issue 10, items 2 and 3): CSRF forms for lots with their policies, zones
and capacities, lanes, devices and "test this device", and the site file checked before it is applied."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from parking.models import Device, Lot, Zone
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]


@pytest.fixture
def admin(client: FlaskClient, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    login("admin")
    return client


def token(client: FlaskClient, lot_id: int | None = None) -> str:
    page = client.get(f"/console/site/lots/{lot_id}" if lot_id else "/console/site")
    return csrf_token(page.get_data(as_text=True))


def flashes(client: FlaskClient, url: str = "/console/site") -> str:
    return client.get(url).get_data(as_text=True)


def lots(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(Lot))


def test_the_site_page_lists_sites_and_lots_for_an_administrator(admin: FlaskClient, village: DemoVillage) -> None:
    page = admin.get("/console/site").get_data(as_text=True)
    assert "城中村示范片区" in page and "和谐里小区" in page and "科技园办公楼停车场" in page
    lot_page = admin.get(f"/console/site/lots/{village.community_lot_id}").get_data(as_text=True)
    assert 'data-zone="outer"' in lot_page and 'data-zone="inner"' in lot_page and 'data-lane="east-in"' in lot_page
    assert 'name="policy.zombie_days" value="30"' in lot_page


def test_only_administrators_open_the_site_pages(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    assert client.get("/console/site").status_code == 403
    assert client.get(f"/console/site/lots/{village.community_lot_id}").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    before = lots(runtime)
    response = admin.post(f"/console/site/sites/{village.site_id}/lots", data={"code": "x1", "name": "新场"})
    assert response.status_code == 400
    assert lots(runtime) == before


def test_a_lot_is_created_with_its_policies(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    response = admin.post(f"/console/site/sites/{village.site_id}/lots", data={
        "csrf_token": token(admin), "code": "xc-market", "name": "新村市场", "address": "新村路 3 号", "latitude": "22.55",
        "longitude": "114.06", "public": "1", "policy.zombie_days": "15", "policy.anti_passback": "hard", "policy.min_confidence": ""})
    assert response.status_code == 302
    with runtime.sessions() as db:
        lot = db.scalar(select(Lot).where(Lot.code == "xc-market"))
        assert (lot.name, lot.settings, lot.latitude) == ("新村市场", {"anti_passback": "hard", "zombie_days": 15}, 22.55)
    assert response.headers["Location"] == f"/console/site/lots/{lot.id}"
    assert "停车场已创建。" in flashes(admin, response.headers["Location"])


@pytest.mark.parametrize(("fields", "shown"), [
    ({"policy.full_policy": "refuse_temporary"}, "未保存：policy.full_policy — is not a known policy; policies are"),
    ({"policy.zombie_days": "thirty"}, "未保存：policy.zombie_days — “thirty”不是整数。"),
    ({"name": "<script>alert(1)</script>"}, "未保存：name — may not contain &#39;&lt;&#39; or &#39;&gt;&#39;: HTML is not accepted"),
    ({"timezone": "Asia/Beijing"}, "未保存：timezone — &#39;Asia/Beijing&#39; is not a time zone known to this system"),
])
def test_a_bad_lot_form_says_which_field_and_writes_nothing(admin: FlaskClient, village: DemoVillage, runtime: Runtime, fields, shown) -> None:  # type: ignore[no-untyped-def]
    before = lots(runtime)
    data = {"csrf_token": token(admin), "code": "x1", "name": "新场", **fields}
    response = admin.post(f"/console/site/sites/{village.site_id}/lots", data=data)
    assert response.headers["Location"] == "/console/site"
    page = flashes(admin)
    assert shown in page
    assert "<script>alert(1)</script>" not in page
    assert lots(runtime) == before


def test_capacities_below_the_cars_present_are_refused_and_nothing_changes(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    for plate in ("粤B10001", "粤B10002"):
        runtime.store.admit(village.office_lot_id, village.office_zone_id, plate, FIXED_NOW, lane_id=village.lane("gate-in").id)
    zone = village.office_zone_id
    response = admin.post(f"/console/site/lots/{village.office_lot_id}/capacities", data={
        "csrf_token": token(admin, village.office_lot_id), f"zone.{zone}.capacity": "1", f"zone.{zone}.pool.temporary": "1"})
    assert response.status_code == 302
    assert "未保存：zones.main.capacity — 1 is below the 2 vehicles present in zone main" in flashes(admin, f"/console/site/lots/{village.office_lot_id}")
    with runtime.sessions() as db:
        assert db.get(Zone, zone).capacity == 30
    ok = admin.post(f"/console/site/lots/{village.office_lot_id}/capacities", data={
        "csrf_token": token(admin, village.office_lot_id), f"zone.{zone}.capacity": "36", f"zone.{zone}.pool.temporary": "16",
        f"zone.{zone}.pool.shared": "20"})
    assert ok.status_code == 302
    assert runtime.store.counts(village.office_lot_id)[1][str(zone)] == 36


def test_a_device_is_added_by_url_and_a_bad_url_is_named(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    lane = village.lane("gate-in")
    bad = admin.post(f"/console/site/lanes/{lane.id}/devices", data={
        "csrf_token": token(admin, village.office_lot_id), "kind": "gate", "name": "道闸", "url": "modbus-tcp://10.0.0.7:99999", "enabled": "1"})
    assert bad.status_code == 302
    assert "未保存：url — device URL &#39;modbus-tcp://10.0.0.7:99999&#39;: the port is not a number 0..65535" in flashes(
        admin, f"/console/site/lots/{village.office_lot_id}")
    good = admin.post(f"/console/site/lanes/{lane.id}/devices", data={
        "csrf_token": token(admin, village.office_lot_id), "kind": "gate", "name": "道闸继电器", "url": "modbus-tcp://10.0.0.7:502?unit=1",
        "enabled": "1"})
    assert good.headers["Location"] == f"/console/site/lots/{village.office_lot_id}#lane-{lane.id}"
    with runtime.sessions() as db:
        assert db.scalar(select(Device.url).where(Device.name == "道闸继电器")) == "modbus-tcp://10.0.0.7:502?unit=1"


def test_testing_a_device_reports_what_was_found(app, admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    from parking.occupancy import DeviceReport

    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    lane = village.lane("gate-in")
    runtime.store.devices.report([DeviceReport(village.office_lot_id, lane.id, "VZ-KJ-IN", FIXED_NOW)], FIXED_NOW)
    with runtime.sessions() as db:
        device_id = db.scalar(select(Device.id).where(Device.serial == "VZ-KJ-IN"))
    response = admin.post(f"/console/site/devices/{device_id}/test", data={"csrf_token": token(admin, village.office_lot_id)})
    assert response.status_code == 302
    assert "大门入口相机：相机在线：代理服务最近收到了它的心跳或识别结果。camera VZ-KJ-IN heard by the agent 0 s ago" in flashes(
        admin, f"/console/site/lots/{village.office_lot_id}")


def test_a_lane_with_open_stays_is_not_deleted_from_the_page(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    lane = village.lane("gate-in")
    runtime.store.admit(village.office_lot_id, village.office_zone_id, "粤B10001", FIXED_NOW, lane_id=lane.id)
    admin.post(f"/console/site/lanes/{lane.id}/delete", data={"csrf_token": token(admin, village.office_lot_id)})
    page = flashes(admin, f"/console/site/lots/{village.office_lot_id}")
    assert "未保存：lane_id — lane gate-in has 1 open stays" in page
    assert 'data-lane="gate-in"' in page


def test_a_site_file_is_checked_first_and_applied_on_the_second_upload(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    exported = admin.get("/console/site/file?site=demo-village")
    assert exported.mimetype == "application/yaml"
    text = exported.get_data(as_text=True).replace("name: 和谐里小区\n", "name: 和谐里社区停车场\n")
    preview = admin.post("/console/site/file", data={"csrf_token": token(admin), "file": (io.BytesIO(text.encode()), "site.yaml")},
                         content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "导入此文件将做以下更改（尚未写入）：" in page
    assert '<tr data-kind="lots"><td>lots</td><td class="num">0</td><td class="num">1</td><td class="num">0</td><td class="num">1</td></tr>' in page
    with runtime.sessions() as db:
        assert db.get(Lot, village.community_lot_id).name == "和谐里小区"
    applied = admin.post("/console/site/file", data={"csrf_token": token(admin), "apply": "1",
                                                     "file": (io.BytesIO(text.encode()), "site.yaml")}, content_type="multipart/form-data")
    assert applied.status_code == 302
    assert "站点配置已导入。" in flashes(admin)
    with runtime.sessions() as db:
        assert db.get(Lot, village.community_lot_id).name == "和谐里社区停车场"


def test_a_bad_site_file_is_refused_naming_the_place(admin: FlaskClient, village: DemoVillage) -> None:
    text = admin.get("/console/site/file").get_data(as_text=True).replace("zombie_days: 30", "zombie_days: 30\n      full_policy: refuse", 1)
    admin.post("/console/site/file", data={"csrf_token": token(admin), "apply": "1", "file": (io.BytesIO(text.encode()), "site.yaml")},
               content_type="multipart/form-data")
    assert "文件未导入，未做任何更改：sites[0].lots[0].policy.full_policy: is not a known field" in flashes(admin)
