"""Issuing passes and changing capacities: clear errors naming the field, nothing half-written."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from parking import db as dbmod
from parking.models import ParkingPass, Zone
from parking.services.config_changes import ConfigChangeError, PassRequest, issue_pass, set_zone_capacity

from ...conftest import FIXED_NOW


def request(village, **changes) -> PassRequest:  # type: ignore[no-untyped-def]
    base = dict(lot_id=village.community_lot_id, kind="monthly", holder="8栋 赵先生", plates=["粤B66M01"],
                valid_from=FIXED_NOW, valid_until=FIXED_NOW + timedelta(days=30))
    return PassRequest(**{**base, **changes})


def passes(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(ParkingPass))


def test_an_issued_pass_is_honoured_at_the_lane_at_once(runtime, village, site):
    with dbmod.transaction(runtime.sessions) as db:
        issue_pass(db, runtime.store, request(village), FIXED_NOW)
    decision = site.read("east-in", "粤B66M01")
    assert decision.lines == ("粤B66M01", "月租车 剩余30天", "欢迎光临")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lot_id": 999}, "lot_id: no lot 999"),
        ({"kind": "weekly"}, "kind: 'weekly' is not one of monthly, time_window, enterprise, owner, shared"),
        ({"plates": ["粤B6M0"]}, "plates[0]: cannot read plate '粤B6M0'"),
        ({"plates": []}, "plates: at least one plate is required"),
        ({"plates": ["粤B66M01", "粤b66m01"]}, "plates: a plate is listed twice"),
        ({"valid_until": FIXED_NOW}, "valid_until: 2026-11-25T09:30:00+00:00 is not after valid_from"),
        ({"spaces": 0}, "spaces: 0 is below 1"),
        ({"spaces": 2}, "spaces: 2 spaces for 1 plates"),
        ({"kind": "time_window"}, "window_start: a time-window pass needs its daily window"),
        ({"window_start": time(19)}, "window_end: a daily window needs both its start and its end"),
        ({"zone_id": 2}, "zone_id: zone 2 is not a zone of lot hx-community"),
        ({"price_fen": -1}, "price_fen: -1 is negative"),
    ],
)
def test_bad_pass_requests_are_refused_naming_the_field(runtime, village, changes, message):
    before = passes(runtime)
    with pytest.raises(ConfigChangeError) as excinfo, dbmod.transaction(runtime.sessions) as db:
        issue_pass(db, runtime.store, request(village, **changes), FIXED_NOW)
    assert str(excinfo.value).startswith(message)
    assert passes(runtime) == before


def test_a_pass_overlapping_another_of_the_same_plate_is_refused(runtime, village):
    before = passes(runtime)
    with pytest.raises(ConfigChangeError) as excinfo, dbmod.transaction(runtime.sessions) as db:
        issue_pass(db, runtime.store, request(village, plates=["粤B3M001"]), FIXED_NOW)
    assert excinfo.value.field == "valid_from"
    assert "plate 粤B3M001 already has pass 1 (3栋 王先生) valid 2026-11-20 to 2026-12-20 in the same zone" in str(excinfo.value)
    assert passes(runtime) == before


def test_a_renewal_starting_when_the_old_pass_ends_is_accepted(runtime, village):
    with dbmod.transaction(runtime.sessions) as db:
        old = db.scalar(select(ParkingPass).where(ParkingPass.holder == "3栋 王先生"))
        renewal = issue_pass(db, runtime.store, request(village, plates=["粤B3M001"], valid_from=old.valid_until,
                                                        valid_until=old.valid_until + timedelta(days=30)), FIXED_NOW)
    assert renewal.id > old.id


def test_a_capacity_below_the_vehicles_present_is_refused_in_redis_and_sql(runtime, village, site):
    for plate in ("粤B00001", "粤B00002", "粤B00003"):
        site.read("east-in", plate)
    with pytest.raises(ConfigChangeError, match=f"capacity: zone {village.outer_zone_id}: capacity 2 is below the 3 vehicles present"), \
            dbmod.transaction(runtime.sessions) as db:
        set_zone_capacity(db, runtime.store, village.outer_zone_id, 2, FIXED_NOW)
    with runtime.sessions() as db:
        assert db.get(Zone, village.outer_zone_id).capacity == 40
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (3, 40)


def test_a_capacity_change_reaches_redis_and_sql(runtime, village):
    with dbmod.transaction(runtime.sessions) as db:
        set_zone_capacity(db, runtime.store, village.outer_zone_id, 45, FIXED_NOW)
        set_zone_capacity(db, runtime.store, village.outer_zone_id, 30, FIXED_NOW, pool="temporary")
    with runtime.sessions() as db:
        zone = db.get(Zone, village.outer_zone_id)
        assert (zone.capacity, {p.kind.value: p.capacity for p in zone.pools}) == (45, {"temporary": 30, "pass": 15})
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (0, 45)
    assert runtime.store.pools(village.community_lot_id)[(village.outer_zone_id, "temporary")].capacity == 30


def test_unknown_zone_and_pool_are_named(runtime, village):
    with pytest.raises(ConfigChangeError, match="zone_id: no zone 999"), dbmod.transaction(runtime.sessions) as db:
        set_zone_capacity(db, runtime.store, 999, 10, FIXED_NOW)
    with pytest.raises(ConfigChangeError, match="pool: zone main has no pass pool"), dbmod.transaction(runtime.sessions) as db:
        set_zone_capacity(db, runtime.store, village.office_zone_id, 10, FIXED_NOW, pool="pass")
