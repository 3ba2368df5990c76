"""The site configuration API (issue 10, items 2 and 3): sites, lots, zones, pools, lanes and devices as JSON,
a device test, and the site file; refusals are 422 naming the field, with nothing written."""

from __future__ import annotations

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import func, select

from parking.models import AuditEvent, Device, Lane, Lot, Zone
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]


@pytest.fixture
def admin(client: FlaskClient, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    login("admin")
    return client


def error(response) -> tuple[int, str | None, str]:  # type: ignore[no-untyped-def]
    body = response.get_json()["error"]
    return response.status_code, body["field"], body["message"]


def count(runtime: Runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_an_administrator_describes_a_lot_with_a_zone_a_lane_and_a_camera(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    lot = admin.post(f"/api/v1/config/sites/{village.site_id}/lots", json={
        "code": "xc-market", "name": "新村市场", "address": "新村路 3 号", "latitude": 22.55, "longitude": 114.06,
        "timezone": "Asia/Shanghai", "policy": {"zombie_days": 20, "temporary_vehicles": "admit"}})
    assert lot.status_code == 201, lot.get_json()
    lot_id = lot.get_json()["id"]
    assert {k: lot.get_json()[k] for k in ("code", "policy", "tariff", "zones", "lanes")} == {
        "code": "xc-market", "policy": {"temporary_vehicles": "admit", "zombie_days": 20}, "tariff": None, "zones": [], "lanes": []}
    zone = admin.post(f"/api/v1/config/lots/{lot_id}/zones", json={"code": "main", "name": "地面", "capacity": 20, "pools": {"temporary": 20}})
    assert (zone.status_code, zone.get_json()["pools"]) == (201, {"temporary": 20})
    lane = admin.post(f"/api/v1/config/lots/{lot_id}/lanes", json={"code": "in", "name": "入口", "direction": "entry", "zone": "main"})
    assert lane.status_code == 201
    device = admin.post(f"/api/v1/config/lanes/{lane.get_json()['id']}/devices", json={
        "kind": "camera", "name": "入口相机", "url": "vz-http://0.0.0.0:8090?serial=XC-M-IN&allow=192.168.3.10"})
    assert (device.status_code, device.get_json()["serial"]) == (201, "XC-M-IN")
    shown = admin.get(f"/api/v1/config/lots/{lot_id}").get_json()
    assert [(l["code"], [d["serial"] for d in l["devices"]]) for l in shown["lanes"]] == [("in", ["XC-M-IN"])]
    assert runtime.store.counts(lot_id)[1][str(zone.get_json()["id"])] == 20


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"policy": {"full_policy": "refuse_temporary"}}, "policy.full_policy", "policy.full_policy: is not a known policy; policies are "),
    ({"timezone": "Asia/Peking"}, "timezone", "timezone: 'Asia/Peking' is not a time zone known to this system, e.g. Asia/Shanghai"),
    ({"name": "<script>x</script>"}, "name", "name: may not contain '<' or '>': HTML is not accepted"),
    ({"latitude": 200}, "latitude", "latitude: 200.0 is outside -90..90"),
])
def test_a_bad_lot_is_a_422_naming_the_field(admin: FlaskClient, village: DemoVillage, runtime: Runtime, body, field, message) -> None:  # type: ignore[no-untyped-def]
    before = count(runtime, Lot)
    response = admin.post(f"/api/v1/config/sites/{village.site_id}/lots", json={"code": "x1", "name": "新", "latitude": 22.5, "longitude": 114.0, **body})
    status, got_field, got_message = error(response)
    assert (status, got_field) == (422, field)
    assert got_message.startswith(message)
    assert count(runtime, Lot) == before


def test_a_device_url_that_does_not_parse_is_a_422_naming_the_url(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    before = count(runtime, Device)
    response = admin.post(f"/api/v1/config/lanes/{village.lane('east-in').id}/devices",
                          json={"kind": "display", "name": "屏", "url": "olm+tcp://10.0.0.8"})
    assert error(response) == (422, "url", "url: olm+tcp URL needs a port, e.g. olm+tcp://10.0.0.8:4001")
    assert count(runtime, Device) == before


def test_capacities_below_the_cars_present_are_refused_all_or_nothing(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    for plate in ("粤B10001", "粤B10002"):
        runtime.store.admit(village.office_lot_id, village.office_zone_id, plate, FIXED_NOW, lane_id=village.lane("gate-in").id)
    response = admin.put(f"/api/v1/config/lots/{village.office_lot_id}/capacities",
                         json={"zones": [{"zone_id": village.office_zone_id, "capacity": 1, "pools": {"temporary": 1}}]})
    assert error(response) == (422, "zones.main.capacity", "zones.main.capacity: 1 is below the 2 vehicles present in zone main")
    with runtime.sessions() as db:
        assert db.get(Zone, village.office_zone_id).capacity == 30
    assert runtime.store.counts(village.office_lot_id)[1][str(village.office_zone_id)] == 30


def test_a_lane_with_open_stays_is_not_deleted(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    lane = village.lane("gate-in")
    runtime.store.admit(village.office_lot_id, village.office_zone_id, "粤B10001", FIXED_NOW, lane_id=lane.id)
    status, field, message = error(admin.delete(f"/api/v1/config/lanes/{lane.id}"))
    assert (status, field) == (422, "lane_id")
    assert message.startswith("lane_id: lane gate-in has 1 open stays")
    assert count(runtime, Lane) == 7


def test_a_zone_with_lanes_is_not_deleted_and_an_unknown_one_is_404(admin: FlaskClient, village: DemoVillage) -> None:
    status, field, message = error(admin.delete(f"/api/v1/config/zones/{village.office_zone_id}"))
    assert (status, field, message) == (422, "zone_id", "zone_id: lane gate-in counts into zone main: delete it or point it at another zone first")
    assert error(admin.delete("/api/v1/config/zones/9999")) == (404, "zone_id", "zone 9999 not found")


def test_testing_a_push_camera_nobody_heard_says_so(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    with runtime.sessions() as db:
        device_id = db.scalar(select(Device.id).where(Device.serial == "VZ-KJ-IN"))
    result = admin.post(f"/api/v1/config/devices/{device_id}/test").get_json()
    assert (result["ok"], result["outcome"]) == (False, "camera_not_heard")
    assert result["detail"].startswith("camera VZ-KJ-IN has not been heard by the agent")


def test_only_an_administrator_configures_a_site(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/config/sites").status_code == 401
    login("manager")
    response = client.post(f"/api/v1/config/sites/{village.site_id}/lots", json={"code": "x", "name": "x"})
    assert response.status_code == 403


def test_the_site_file_is_exported_and_imported_through_the_api(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    exported = admin.get("/api/v1/config/site-file?site=demo-village")
    assert (exported.status_code, exported.mimetype) == (200, "application/yaml")
    document = yaml.safe_load(exported.get_data(as_text=True))
    assert document["sites"][0]["code"] == "demo-village"
    same = admin.post("/api/v1/config/site-file", data=exported.get_data(), content_type="application/yaml").get_json()
    assert (same["changed"], same["lines"][1]) == (False, "lots: 0 created, 0 updated, 0 deleted, 2 unchanged")
    document["sites"][0]["lots"][0]["name"] = "和谐里小区(新)"
    audits = count(runtime, AuditEvent)
    dry = admin.post("/api/v1/config/site-file?dry_run=true", json=document).get_json()
    assert (dry["dry_run"], dry["counts"]["lots"]) == (True, {"created": 0, "updated": 1, "deleted": 0, "unchanged": 1})
    assert count(runtime, AuditEvent) == audits
    document["sites"][0]["lots"][0]["lanes"][0]["devices"][0]["url"] = "vz-http://0.0.0.0:8090"
    refused = admin.post("/api/v1/config/site-file", json=document)
    assert error(refused) == (422, "sites[0].lots[0].lanes[0].devices[0].url",
                              "sites[0].lots[0].lanes[0].devices[0].url: vz-http URL needs serial=<camera serial number>")
    with runtime.sessions() as db:
        assert db.get(Lot, village.community_lot_id).name == "和谐里小区"


def test_the_openapi_document_lists_the_configuration_routes(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/config/sites", "/api/v1/config/lots/{lot_id}/capacities", "/api/v1/config/devices/{device_id}/test",
            "/api/v1/config/site-file"} <= set(paths)
