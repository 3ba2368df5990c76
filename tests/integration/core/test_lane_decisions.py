"""The full lane decision on real Redis: passes, pools, enterprise spaces, anti-passback, lists, visitors,
lot-in-lot, and exits without an entry record. Demo village: outer zone 40 (temporary 25, pass 15),
inner owners' zone 12 (pass 12), office lot 30 (shared 20, temporary 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from parking import db as dbmod
from parking.models import Lot, ParkingPass, Visitor

from ...conftest import FIXED_NOW


def set_policy(runtime, site, lot_id: int, **settings) -> None:  # type: ignore[no-untyped-def]
    with dbmod.transaction(runtime.sessions) as db:
        lot = db.get(Lot, lot_id)
        lot.settings = {**lot.settings, **settings}
    site.refresh()


def test_a_monthly_pass_holder_is_greeted_with_days_left_and_leaves_free(site):
    entry = site.read("east-in", "粤B3M001")
    assert (entry.open_gate, entry.lines) == (True, ("粤B3M001", "月租车 剩余25天", "欢迎光临"))
    site.clock.advance(hours=30)
    leave = site.read("east-out", "粤B3M001")
    assert (leave.open_gate, leave.lines) == (True, ("粤B3M001", "停车1天6小时", "一路顺风"))


def test_when_the_temporary_pool_is_full_pass_holders_are_still_admitted(runtime, village, site):
    runtime.store.set_capacities(village.community_lot_id, {}, {(village.outer_zone_id, "temporary"): 1})
    assert site.read("east-in", "粤B11111").open_gate
    refused = site.read("east-in", "粤B22222")
    assert (refused.open_gate, refused.lines) == (False, ("粤B22222", "临时车位已满"))
    assert site.read("east-in", "粤B3M001").open_gate
    assert runtime.store.pools(village.community_lot_id)[(village.outer_zone_id, "pass")].present == 1


@pytest.mark.parametrize(
    ("overflow", "third_car"),
    [
        ("temporary", (True, ("粤B8E103", "企业车 剩余25天", "欢迎光临"))),
        ("refuse", (False, ("粤B8E103", "本卡车位已满"))),
        ("wait", (False, ("粤B8E103", "车位已占用 请稍候"))),
    ],
)
def test_the_car_beyond_an_enterprise_pass_spaces_follows_the_lot_setting(runtime, village, site, overflow, third_car):
    set_policy(runtime, site, village.community_lot_id, pool_overflow=overflow)
    assert site.read("east-in", "粤B8E101").open_gate
    assert site.read("east-in", "粤B8E102").open_gate
    decision = site.read("east-in", "粤B8E103")
    assert (decision.open_gate, decision.lines) == third_car
    sessions = runtime.store.open_sessions(village.community_lot_id)
    assert [sessions[p]["class"] for p in sorted(sessions)] == ["enterprise", "enterprise", "temporary"][: len(sessions)]


def test_when_one_enterprise_car_leaves_the_next_takes_its_pass_space(runtime, village, site):
    set_policy(runtime, site, village.community_lot_id, pool_overflow="refuse")
    site.read("east-in", "粤B8E101")
    site.read("east-in", "粤B8E102")
    site.clock.advance(minutes=30)
    assert site.read("east-out", "粤B8E101").open_gate
    assert site.read("east-in", "粤B8E103").open_gate


def test_soft_anti_passback_admits_a_pass_seen_inside_and_closes_the_stale_stay(runtime, village, site):
    site.read("east-in", "粤B3M001")
    stale = runtime.store.open_session(village.community_lot_id, "粤B3M001")["uid"]
    site.clock.advance(hours=2)
    again = site.read("north-in", "粤B3M001")
    assert again.open_gate
    assert runtime.store.open_session(village.community_lot_id, "粤B3M001")["uid"] != stale
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (1, 40)


def test_hard_anti_passback_refuses_a_pass_already_inside(runtime, village, site):
    set_policy(runtime, site, village.community_lot_id, anti_passback="hard")
    site.read("east-in", "粤B3M001")
    site.clock.advance(hours=2)
    again = site.read("north-in", "粤B3M001")
    assert (again.open_gate, again.lines) == (False, ("粤B3M001", "车辆已在场内"))


def test_blacklisted_and_whitelisted_vehicles(runtime, village, site):
    black = site.read("east-in", "粤B99999")
    assert (black.open_gate, black.lines) == (False, ("粤B99999", "禁止通行"))
    white = site.read("east-in", "粤B12000")
    assert (white.open_gate, white.lines) == (True, ("粤B12000", "免费车辆", "欢迎光临"))
    site.clock.advance(hours=20)
    assert site.read("east-out", "粤B12000").open_gate


def test_a_closed_community_admits_registered_visitors_only(runtime, village, site):
    set_policy(runtime, site, village.community_lot_id, temporary_vehicles="refuse")
    with dbmod.transaction(runtime.sessions) as db:
        db.add(Visitor(lot_id=village.community_lot_id, plate="粤B77777", host="3栋201",
                       valid_from=FIXED_NOW - timedelta(hours=1), valid_until=FIXED_NOW + timedelta(hours=4)))
    site.refresh()
    stranger = site.read("east-in", "粤B66666")
    assert (stranger.open_gate, stranger.lines) == (False, ("粤B66666", "非登记车辆 禁止入内"))
    visitor = site.read("east-in", "粤B77777")
    assert (visitor.open_gate, visitor.lines) == (True, ("粤B77777", "访客车辆", "欢迎光临"))


def test_an_owner_moves_into_the_inner_zone_and_back_out(runtime, village, site):
    lot = village.community_lot_id
    site.read("east-in", "粤B5P002")
    site.clock.advance(minutes=2)
    inside = site.read("inner-in", "粤B5P002")
    assert (inside.open_gate, inside.lines) == (True, ("粤B5P002", "业主车 剩余360天", "欢迎进入内场"))
    assert runtime.store.occupancy(lot) == {village.outer_zone_id: (0, 40), village.inner_zone_id: (1, 12)}
    site.clock.advance(hours=8)
    out = site.read("inner-out", "粤B5P002")
    assert (out.open_gate, out.lines) == (True, ("粤B5P002", "请慢行"))
    assert runtime.store.occupancy(lot) == {village.outer_zone_id: (1, 40), village.inner_zone_id: (0, 12)}
    assert site.read("east-out", "粤B5P002").open_gate


def test_a_temporary_car_cannot_enter_the_owners_zone(runtime, village, site):
    site.read("east-in", "粤B12345")
    site.clock.advance(minutes=2)
    refused = site.read("inner-in", "粤B12345")
    assert (refused.open_gate, refused.lines) == (False, ("粤B12345", "临时车位已满"))
    assert runtime.store.occupancy(village.community_lot_id)[village.outer_zone_id] == (1, 40)


def test_an_exit_without_entry_record_is_held_or_charged_the_flat_fee(runtime, village, site):
    held = site.read("east-out", "粤B44444")
    assert (held.open_gate, held.lines) == (False, ("粤B44444", "无入场记录", "请联系管理员"))
    set_policy(runtime, site, village.community_lot_id, no_entry_record="flat_fee", no_entry_fee_fen=1000)
    site.clock.advance(minutes=1)
    charged = site.read("east-out", "粤B44444")
    assert (charged.open_gate, charged.lines) == (False, ("粤B44444", "无入场记录", "请缴费10元"))


def test_an_expired_pass_beyond_the_renewal_grace_enters_as_temporary(runtime, village, site):
    with dbmod.transaction(runtime.sessions) as db:
        p = db.scalar(select(ParkingPass).where(ParkingPass.holder == "3栋 王先生"))
        p.valid_from, p.valid_until = FIXED_NOW - timedelta(days=40), FIXED_NOW - timedelta(days=10)
    site.refresh()
    decision = site.read("east-in", "粤B3M001")
    assert (decision.open_gate, decision.lines) == (True, ("粤B3M001", "月租车已过期 按临时车", "欢迎光临"))


def test_a_pass_within_the_renewal_grace_is_admitted_with_a_warning(runtime, village, site):
    with dbmod.transaction(runtime.sessions) as db:
        p = db.scalar(select(ParkingPass).where(ParkingPass.holder == "3栋 王先生"))
        p.valid_from, p.valid_until = FIXED_NOW - timedelta(days=31), FIXED_NOW - timedelta(days=1, hours=2)
    site.refresh()
    decision = site.read("east-in", "粤B3M001")
    assert (decision.open_gate, decision.lines) == (True, ("粤B3M001", "月租车 已过期2天 请续费", "欢迎光临"))
    assert decision.voice == "粤B3M001,月租车,已过期2天,请续费,欢迎光临"


def test_a_night_pass_outside_its_window_enters_as_temporary(runtime, village, site):
    # 17:30 in Shanghai; the office night pass is valid 19:00–07:30.
    decision = site.read("gate-in", "粤BD12345")
    assert (decision.open_gate, decision.lines) == (True, ("粤BD12345", "不在有效时段 按临时车", "欢迎光临"))
    site.clock.advance(hours=2)
    site.read("gate-out", "粤BD12345")
    site.clock.advance(minutes=5)
    inside_window = site.read("gate-in", "粤BD12345")
    assert inside_window.lines[1] == "时段卡 剩余25天"


def test_a_virtual_plate_from_the_qr_flow_enters_and_leaves_like_any_plate(runtime, village, site):
    entry = site.read("east-in", "无牌AB12CD")
    assert (entry.open_gate, entry.lines) == (True, ("无牌AB12CD", "临时车", "欢迎光临"))
    site.clock.advance(minutes=20)
    assert site.read("east-out", "无牌AB12CD").open_gate
    assert runtime.store.open_plates(village.community_lot_id) == []
