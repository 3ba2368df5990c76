"""Sites, lots, zones, pools, lanes and devices changed by an administrator (issue 10, item 2): every change
audited with before and after, capacities never below the vehicles present, agents told at once, and bad
input refused naming the field with nothing written."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from parking.claims import Claim
from parking.models import AuditEvent, Device, Lane, Lot, Site, Zone
from parking.services import site_admin, site_lanes
from parking.services.site_admin import LotSpec, SiteAdminError, SiteSpec, ZoneSpec
from parking.services.site_lanes import DeviceSpec, LaneSpec

from ...conftest import FIXED_NOW

NOW = FIXED_NOW


def counts(runtime) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return tuple(db.scalar(select(func.count()).select_from(m)) for m in (Site, Lot, Zone, Lane, Device, AuditEvent))


def audit_rows(runtime) -> list[tuple[str, str, object, object]]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return [(e.action, e.target, e.detail.get("before"), e.detail.get("after")) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def new_lot(runtime, village, **changes):  # type: ignore[no-untyped-def]
    spec = LotSpec(**{"code": "xc-market", "name": "新村市场停车场", "address": "新村路 3 号", "latitude": 22.55, "longitude": 114.06,
                      "timezone": "Asia/Shanghai", "policy": {"zombie_days": 20, "anti_passback": "hard"}, **changes})
    with runtime.sessions() as db:
        return site_admin.create_lot(db, runtime.store, village.site_id, spec, now=NOW, operator_id=None).id


def test_a_village_described_from_scratch_is_stored_audited_and_counted_live(runtime, village):
    version = runtime.store.config.version()
    with runtime.sessions() as db:
        site = site_admin.create_site(db, runtime.store, SiteSpec("xc", "新村", "Asia/Shanghai"), now=NOW, operator_id=1)
        lot = site_admin.create_lot(db, runtime.store, site.id, LotSpec("xc-east", "新村东停车场", policy={"min_confidence": 70}),
                                    now=NOW, operator_id=1)
        zone = site_admin.create_zone(db, runtime.store, lot.id, ZoneSpec("ground", "地面", 30, pools={"pass": 10, "temporary": 20}),
                                      now=NOW, operator_id=1)
        lane = site_lanes.create_lane(db, runtime.store, lot.id, LaneSpec("in", "东门入口", "entry", "ground"), now=NOW, operator_id=1)
        site_lanes.create_device(db, runtime.store, lane.id, DeviceSpec("camera", "东门相机", "vz-http://0.0.0.0:8090?serial=XC-E-IN&allow=192.168.1.100"),
                                 now=NOW, operator_id=1)
        lot_id, zone_id = lot.id, zone.id
        device = db.scalar(select(Device).where(Device.serial == "XC-E-IN"))
        assert (device.serial, device.lot_id, device.kind.value) == ("XC-E-IN", lot_id, "camera")
        assert lot.settings == {"min_confidence": 70}
    assert runtime.store.counts(lot_id)[1] == {str(zone_id): 30, f"{zone_id}:pass": 10, f"{zone_id}:temporary": 20, f"{zone_id}:pools": 1}
    assert runtime.store.config.version() == version + 5
    assert [(a, t) for a, t, _, _ in audit_rows(runtime)] == [
        ("site.created", "site:xc"), ("lot.created", "lot:xc-east"), ("zone.created", "lot:xc-east/zone:ground"),
        ("lane.created", "lot:xc-east/lane:in"), ("device.created", "lane:in/device:东门相机"),
    ]
    assert audit_rows(runtime)[2][3] == {"code": "ground", "name": "地面", "capacity": 30, "parent": None, "pools": {"temporary": 20, "pass": 10}}


def test_an_update_is_audited_with_the_state_before_and_after(runtime, village):
    with runtime.sessions() as db:
        site_admin.update_lot(db, runtime.store, village.office_lot_id, LotSpec(
            "kj-office", "科技园停车场", address="科技路 8 号", latitude=22.5402, longitude=114.0551, policy={"zombie_days": 14},
            tariff="14-vendor-rule-a"), now=NOW, operator_id=1)
    [(action, target, before, after)] = audit_rows(runtime)
    assert (action, target) == ("lot.updated", "lot:kj-office")
    assert before == {"code": "kj-office", "name": "科技园办公楼停车场", "address": "科技路 8 号", "latitude": 22.5402, "longitude": 114.0551,
                      "timezone": None, "public": True, "policy": {"no_entry_record": "hold", "zombie_days": 30}, "tariff": None}
    assert after == {**before, "name": "科技园停车场", "policy": {"zombie_days": 14}, "tariff": "14-vendor-rule-a"}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"policy": {"full_policy": "refuse_temporary"}}, "policy.full_policy", "is not a known policy; policies are anti_passback, "),
    ({"policy": {"anti_passback": "strict"}}, "policy.anti_passback", "anti_passback='strict': expected one of off, soft, hard"),
    ({"timezone": "Asia/Beijing"}, "timezone", "'Asia/Beijing' is not a time zone known to this system, e.g. Asia/Shanghai"),
    ({"name": "<script>alert(1)</script>"}, "name", "may not contain '<' or '>': HTML is not accepted"),
    ({"address": "<b>1号</b>"}, "address", "may not contain '<' or '>': HTML is not accepted"),
    ({"latitude": 91.0}, "latitude", "91.0 is outside -90..90"),
    ({"longitude": None}, "longitude", "give both coordinates, or neither"),
    ({"code": "hx-community"}, "code", "lot hx-community already exists (lot codes are unique across sites)"),
    ({"code": "新村"}, "code", "'新村' may hold only letters, digits"),
    ({"tariff": "no-such-tariff"}, "tariff", "no tariff no-such-tariff is published"),
])
def test_a_bad_lot_is_refused_naming_the_field_and_nothing_is_written(runtime, village, changes, field, message):
    before = counts(runtime)
    with pytest.raises(SiteAdminError) as raised:
        new_lot(runtime, village, **changes)
    assert raised.value.field == field
    assert raised.value.message.startswith(message)
    assert counts(runtime) == before


@pytest.mark.parametrize(("url", "message"), [
    ("vz-http://[::1", "does not parse as a URL: Invalid IPv6 URL"),
    ("vz-http://0.0.0.0:8090", "vz-http URL needs serial=<camera serial number>"),
    ("vz-http://0.0.0.0:99999?serial=X", "device URL 'vz-http://0.0.0.0:99999?serial=X': the port is not a number 0..65535"),
    ("vz-http://0.0.0.0:8090?serial=X&allow=999.1.1.1", "vz-http URL: allow: '999.1.1.1' is not an IP address or network"),
    ("vz-http://0.0.0.0:8090?serial=X&colour=red", "vz-http URL option 'colour' is not known; allowed: allow, board, gate_io, key, pulse_ms, serial"),
    ("modbus-tcp://10.0.0.7:502", "a camera is reached by vz-http, vz-tcp, hik-http, not modbus-tcp"),
    ("ftp://camera", "a camera is reached by vz-http, vz-tcp, hik-http, not ftp"),
])
def test_a_device_url_that_does_not_open_is_refused_naming_the_url(runtime, village, url, message):
    before = counts(runtime)
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_lanes.create_device(db, runtime.store, village.lane("east-in").id, DeviceSpec("camera", "备用相机", url), now=NOW, operator_id=1)
    assert (raised.value.field, raised.value.message) == ("url", message)
    assert counts(runtime) == before


def test_a_camera_serial_must_agree_with_its_url_and_be_unused(runtime, village):
    lane_id = village.lane("east-in").id
    with runtime.sessions() as db:
        with pytest.raises(SiteAdminError) as raised:
            site_lanes.create_device(db, runtime.store, lane_id, DeviceSpec("camera", "相机", "vz-http://0.0.0.0:8090?serial=A1", serial="B2"),
                                     now=NOW, operator_id=1)
        assert str(raised.value) == "serial: 'B2' differs from serial=A1 in the URL"
        with pytest.raises(SiteAdminError) as raised:
            site_lanes.create_device(db, runtime.store, lane_id, DeviceSpec("camera", "相机", "vz-http://0.0.0.0:8090?serial=VZ-KJ-IN"),
                                     now=NOW, operator_id=1)
        assert str(raised.value) == "serial: device serial VZ-KJ-IN is already used by 大门入口相机 (lane gate-in of lot kj-office)"
        with pytest.raises(SiteAdminError) as raised:
            site_lanes.create_device(db, runtime.store, lane_id, DeviceSpec("camera", "相机", "vz-tcp://10.0.0.5"), now=NOW, operator_id=1)
        assert raised.value.field == "serial"


def test_a_capacity_below_the_vehicles_present_is_refused_and_nothing_changes(runtime, village):
    for i in range(3):
        runtime.store.admit(village.office_lot_id, village.office_zone_id, f"粤B1000{i}", NOW, lane_id=village.lane("gate-in").id)
    live_before = runtime.store.counts(village.office_lot_id)[1]
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_admin.update_zone(db, runtime.store, village.office_zone_id, ZoneSpec("main", "地面停车场", 2, pools={"shared": 1, "temporary": 1}),
                               now=NOW, operator_id=1)
    assert str(raised.value) == "capacity: 2 is below the 3 vehicles present in zone main"
    with runtime.sessions() as db:
        assert db.get(Zone, village.office_zone_id).capacity == 30
    assert runtime.store.counts(village.office_lot_id)[1] == live_before
    assert audit_rows(runtime) == []


def test_capacities_of_several_zones_change_all_or_nothing(runtime, village):
    runtime.store.admit(village.community_lot_id, village.inner_zone_id, "粤B5P002", NOW, lane_id=village.lane("inner-in").id,
                        claims=[Claim(pool="pass", vehicle_class="owner")])
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_admin.set_capacities(db, runtime.store, village.community_lot_id, {
            village.outer_zone_id: (50, {"temporary": 30, "pass": 20}),
            village.inner_zone_id: (10, {}),
        }, now=NOW, operator_id=1)
    assert str(raised.value) == ("zones.inner.pools.pass: 1 vehicles are counted in the pass pool of zone inner; "
                                 "it cannot be taken away while they are inside")
    with runtime.sessions() as db:
        assert db.get(Zone, village.outer_zone_id).capacity == 40
    assert runtime.store.counts(village.community_lot_id)[1][str(village.outer_zone_id)] == 40
    with runtime.sessions() as db:
        site_admin.set_capacities(db, runtime.store, village.community_lot_id, {
            village.outer_zone_id: (50, {"temporary": 30, "pass": 20}), village.inner_zone_id: (10, {"pass": 10}),
        }, now=NOW, operator_id=1)
    live = runtime.store.counts(village.community_lot_id)[1]
    assert (live[str(village.outer_zone_id)], live[f"{village.outer_zone_id}:temporary"], live[str(village.inner_zone_id)]) == (50, 30, 10)


def test_pools_over_the_zone_capacity_are_refused(runtime, village):
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_admin.create_zone(db, runtime.store, village.office_lot_id, ZoneSpec("roof", "楼顶", 10, pools={"temporary": 8, "shared": 5}),
                               now=NOW, operator_id=1)
    assert str(raised.value) == "pools: the pools hold 13 spaces, more than the zone's capacity 10"


def test_a_pool_taken_away_leaves_the_live_store_too(runtime, village):
    with runtime.sessions() as db:
        site_admin.update_zone(db, runtime.store, village.office_zone_id, ZoneSpec("main", "地面停车场", 30, pools={"temporary": 30}),
                               now=NOW, operator_id=1)
    zone = village.office_zone_id
    assert runtime.store.counts(village.office_lot_id)[1] == {str(zone): 30, f"{zone}:temporary": 30, f"{zone}:pools": 1}


def test_a_zone_or_lane_with_open_stays_is_not_deleted(runtime, village):
    lane = village.lane("gate-in")
    runtime.store.admit(village.office_lot_id, village.office_zone_id, "粤B10001", NOW, lane_id=lane.id)
    with runtime.sessions() as db:
        with pytest.raises(SiteAdminError) as raised:
            site_lanes.delete_lane(db, runtime.store, lane.id, now=NOW, operator_id=1)
        assert str(raised.value) == ("lane_id: lane gate-in has 1 open stays (vehicles that entered through it are inside); "
                                     "disable it instead, or delete it once they have left")
        with pytest.raises(SiteAdminError) as raised:
            site_lanes.delete_lane(db, runtime.store, village.lane("gate-out").id, now=NOW, operator_id=1)
        assert str(raised.value).startswith("lane_id: lane gate-out is the only exit of zone main, where 1 vehicles are inside")
        with pytest.raises(SiteAdminError) as raised:
            site_admin.delete_zone(db, runtime.store, village.office_zone_id, now=NOW, operator_id=1)
        assert str(raised.value) == "zone_id: lane gate-in counts into zone main: delete it or point it at another zone first"
    assert counts(runtime)[3] == 7


def test_a_zone_with_vehicles_inside_is_not_deleted_even_without_lanes(runtime, village):
    lot_id = new_lot(runtime, village)
    with runtime.sessions() as db:
        zone_id = site_admin.create_zone(db, runtime.store, lot_id, ZoneSpec("a", "A区", 5), now=NOW, operator_id=1).id
    runtime.store.admit(lot_id, zone_id, "粤B10001", NOW, lane_id=0)
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_admin.delete_zone(db, runtime.store, zone_id, now=NOW, operator_id=1)
    assert str(raised.value) == "zone: zone a has 1 vehicles inside; it cannot be deleted while they are"


def test_a_lane_without_stays_is_deleted_with_its_devices(runtime, village):
    lane = village.lane("north-in")
    with runtime.sessions() as db:
        site_lanes.delete_lane(db, runtime.store, lane.id, now=NOW, operator_id=1)
    with runtime.sessions() as db:
        assert db.get(Lane, lane.id) is None
        assert db.scalar(select(Device).where(Device.serial == "VZ-HX-NORTH-IN")) is None
    [(action, target, before, after)] = audit_rows(runtime)
    assert (action, target, after) == ("lane.deleted", "lot:hx-community/lane:north-in", None)
    assert before["devices"] == [{"kind": "camera", "name": "北门入口相机", "url": "vz-http://0.0.0.0:8090?serial=VZ-HX-NORTH-IN&board=0",
                                  "serial": "VZ-HX-NORTH-IN", "enabled": True}]


def test_an_empty_lot_is_deleted_with_its_zones_and_lanes_and_leaves_the_live_store(runtime, village):
    lot_id = new_lot(runtime, village)
    with runtime.sessions() as db:
        site_admin.create_zone(db, runtime.store, lot_id, ZoneSpec("a", "A区", 5, pools={"temporary": 5}), now=NOW, operator_id=1)
        site_lanes.create_lane(db, runtime.store, lot_id, LaneSpec("in", "入口", "entry", "a"), now=NOW, operator_id=1)
        site_admin.delete_lot(db, runtime.store, lot_id, now=NOW, operator_id=1)
    with runtime.sessions() as db:
        assert db.get(Lot, lot_id) is None
    assert runtime.store.counts(lot_id)[1] == {}


def test_a_lot_with_history_is_not_deleted(runtime, village):
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_admin.delete_lot(db, runtime.store, village.community_lot_id, now=NOW, operator_id=1)
    assert str(raised.value) == "lot_id: lot hx-community has 3 passes; a lot with history cannot be deleted"


def test_a_zone_cannot_be_put_inside_itself(runtime, village):
    with runtime.sessions() as db, pytest.raises(SiteAdminError) as raised:
        site_admin.update_zone(db, runtime.store, village.outer_zone_id, ZoneSpec("outer", "外场", 40, parent="inner", pools={"temporary": 25, "pass": 15}),
                               now=NOW, operator_id=1)
    assert str(raised.value) == "parent: zone inner lies inside zone outer: a zone cannot be inside itself"


def test_the_agent_picks_up_a_new_lane_within_a_second_of_the_change(runtime, village, site):
    agent = site.agent
    agent.sync()
    assert agent.config_changed() is False
    with runtime.sessions() as db:
        lane = site_lanes.create_lane(db, runtime.store, village.office_lot_id, LaneSpec("side-in", "侧门入口", "entry", "main"), now=NOW, operator_id=1)
        site_lanes.create_device(db, runtime.store, lane.id, DeviceSpec("camera", "侧门相机", "vz-http://0.0.0.0:8090?serial=VZ-KJ-SIDE"),
                                 now=NOW, operator_id=1)
    assert agent.config_changed() is True
    assert agent.lanes.all().get("VZ-KJ-SIDE") is None
    agent.sync()
    assert (agent.config_changed(), agent.lanes.all()["VZ-KJ-SIDE"].code) == (False, "side-in")
    decision = site.read("side-in", "粤B77777")
    assert decision.open_gate is True


def test_a_running_agents_loop_reloads_on_the_version_not_the_thirty_second_sync(runtime, village, clock):
    from parking.agent.process import Agent

    agent = Agent(runtime, "127.0.0.1", 0, clock=clock).start()
    try:
        with runtime.sessions() as db:
            lane = site_lanes.create_lane(db, runtime.store, village.office_lot_id, LaneSpec("side-in", "侧门入口", "entry", "main"), now=NOW, operator_id=1)
            site_lanes.create_device(db, runtime.store, lane.id, DeviceSpec("camera", "侧门相机", "vz-http://0.0.0.0:8090?serial=VZ-KJ-SIDE"),
                                     now=NOW, operator_id=1)
        seen = threading.Event()
        for _ in range(100):  # the sync thread polls the version every second; wait for it, not for a clock
            if "VZ-KJ-SIDE" in agent.lanes.all():
                seen.set()
                break
            seen.wait(0.05)
        assert seen.is_set()
    finally:
        agent.stop()
