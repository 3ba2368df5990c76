"""The entry decision: blacklist → whitelist → pass → shared right → visitor → temporary vehicle."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parking.admission import EntryFacts, EntryPlan, ListFact, SharedRight, VisitorFact, decide_entry
from parking.claims import Claim
from parking.passes import PassFact
from parking.plates import parse
from parking.policy import LotPolicy

TZ = ZoneInfo("Asia/Shanghai")
PLATE = parse("粤B12345")
TEMPORARY = Claim("temporary", "temporary")


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


NOW = at(6, 15, 10)


def monthly(id: int = 1, *, until: datetime = at(7, 1), zone: int | None = None, kind: str = "monthly", spaces: int = 1) -> PassFact:
    return PassFact(id, kind, "张三", spaces, at(6, 1), until, zone_id=zone)


NIGHT = PassFact(7, "time_window", "李四", 1, at(6, 1), at(7, 1), window_start=time(19), window_end=time(7, 30))
ENTERPRISE = PassFact(9, "enterprise", "某科技公司", 3, at(6, 1), at(9, 1))


def entry(now: datetime = NOW, zone: int = 1, policy: LotPolicy = LotPolicy(), **facts) -> EntryPlan:
    return decide_entry(EntryFacts(plate=PLATE, zone_id=zone, now=now, tz=TZ, policy=policy, **facts))


# -- temporary vehicles -----------------------------------------------------------------------------


def test_an_unknown_car_enters_as_a_temporary_vehicle():
    plan = entry()
    assert (plan.vehicle_class, plan.claims, plan.on_open, plan.refusal, plan.notice, plan.refused) == (
        "temporary", (TEMPORARY,), "refuse", None, "临时车", False)


def test_a_lot_refusing_temporary_vehicles_refuses_an_unregistered_car():
    plan = entry(policy=LotPolicy(temporary_vehicles="refuse"))
    assert (plan.claims, plan.refusal, plan.notice, plan.refused) == ((), "temporary_refused", "非登记车辆", True)


# -- lists ------------------------------------------------------------------------------------------


def test_a_blacklisted_car_is_refused_with_the_reason_of_the_entry():
    plan = entry(lists=(ListFact("blacklist", "欠费逃单"),))
    assert (plan.vehicle_class, plan.claims, plan.refusal, plan.notice) == ("blacklist", (), "blacklist", "欠费逃单")


def test_the_blacklist_beats_the_whitelist():
    plan = entry(lists=(ListFact("whitelist", "物业车辆"), ListFact("blacklist", "欠费逃单")))
    assert (plan.claims, plan.refusal) == ((), "blacklist")


def test_the_blacklist_beats_a_valid_pass():
    assert entry(lists=(ListFact("blacklist", "欠费逃单"),), passes=(monthly(),)).refusal == "blacklist"


def test_a_whitelisted_car_enters_free_on_the_zone_alone():
    plan = entry(lists=(ListFact("whitelist", "物业车辆"),))
    assert (plan.vehicle_class, plan.claims, plan.on_open, plan.notice) == (
        "whitelist", (Claim(None, "whitelist"),), "replace", "免费车辆")


def test_the_whitelist_beats_a_pass():
    assert entry(lists=(ListFact("whitelist", "物业车辆"),), passes=(monthly(),)).vehicle_class == "whitelist"


def test_a_whitelisted_car_enters_a_lot_that_refuses_temporary_vehicles():
    plan = entry(lists=(ListFact("whitelist", "物业车辆"),), policy=LotPolicy(temporary_vehicles="refuse"))
    assert plan.claims == (Claim(None, "whitelist"),)


def test_an_expired_blacklist_entry_is_ignored():
    assert entry(lists=(ListFact("blacklist", "欠费逃单", expires_at=NOW - timedelta(minutes=1)),)).claims == (TEMPORARY,)


def test_a_blacklist_entry_ends_at_its_expiry():
    assert entry(lists=(ListFact("blacklist", "欠费逃单", expires_at=NOW),)).refused is False


def test_a_blacklist_entry_holds_until_its_expiry():
    assert entry(lists=(ListFact("blacklist", "欠费逃单", expires_at=NOW + timedelta(minutes=1)),)).refused is True


def test_an_expired_whitelist_entry_is_ignored():
    assert entry(lists=(ListFact("whitelist", "装修车辆", expires_at=at(6, 14)),)).vehicle_class == "temporary"


# -- monthly passes ---------------------------------------------------------------------------------


def test_a_valid_pass_claims_its_space_then_a_temporary_one_and_shows_the_days_left():
    plan = entry(passes=(monthly(),))
    assert (plan.vehicle_class, plan.claims, plan.pass_id, plan.notice) == (
        "monthly", (Claim("pass", "monthly", pass_id=1, spaces=1), TEMPORARY), 1, "月租车 剩余15天")


def test_days_left_above_the_warning_threshold_are_shown_without_a_reminder():
    assert entry(now=at(6, 22, 10), passes=(monthly(),)).notice == "月租车 剩余8天"


def test_days_left_at_the_warning_threshold_ask_for_renewal():
    assert entry(now=at(6, 23, 10), passes=(monthly(),)).notice == "月租车 剩余7天 请续费"


def test_days_left_below_the_warning_threshold_ask_for_renewal():
    assert entry(now=at(6, 25, 10), passes=(monthly(),)).notice == "月租车 剩余5天 请续费"


def test_the_warning_threshold_is_a_lot_setting():
    assert entry(now=at(6, 25, 10), passes=(monthly(),), policy=LotPolicy(expiry_warning_days=3)).notice == "月租车 剩余5天"


def test_on_the_last_day_the_lane_says_the_pass_ends_today():
    assert entry(now=at(6, 30, 22), passes=(monthly(),)).notice == "月租车 今日到期 请续费"


def test_within_the_late_renewal_grace_the_car_enters_as_a_pass_holder_with_a_reminder():
    plan = entry(now=at(7, 2, 8), passes=(monthly(),))
    assert (plan.vehicle_class, plan.claims[0], plan.notice) == (
        "monthly", Claim("pass", "monthly", pass_id=1, spaces=1), "月租车 已过期2天 请续费")


def test_beyond_the_grace_the_car_enters_as_a_temporary_vehicle_told_its_pass_expired():
    plan = entry(now=at(7, 4, 8), passes=(monthly(),))
    assert (plan.vehicle_class, plan.claims, plan.pass_id, plan.notice) == ("temporary", (TEMPORARY,), None, "月租车已过期 按临时车")


def test_beyond_the_grace_a_lot_refusing_temporary_vehicles_refuses_the_car():
    plan = entry(now=at(7, 4, 8), passes=(monthly(),), policy=LotPolicy(temporary_vehicles="refuse"))
    assert (plan.claims, plan.refusal) == ((), "temporary_refused")


def test_the_grace_is_a_lot_setting():
    assert entry(now=at(7, 1, 8), passes=(monthly(),), policy=LotPolicy(renewal_grace_days=0)).vehicle_class == "temporary"


def test_a_pass_not_yet_valid_enters_as_a_temporary_vehicle():
    plan = entry(now=at(5, 31, 8), passes=(monthly(),))
    assert (plan.vehicle_class, plan.notice) == ("temporary", "月卡未生效 按临时车")


def test_of_several_passes_the_valid_one_is_used():
    lapsed = monthly(1, until=at(6, 14))
    plan = entry(passes=(lapsed, monthly(2, until=at(8, 1))))
    assert (plan.pass_id, plan.notice) == (2, "月租车 剩余46天")


# -- time-window passes -----------------------------------------------------------------------------


def test_a_night_pass_admits_in_the_evening():
    plan = entry(now=at(6, 15, 21), passes=(NIGHT,))
    assert (plan.vehicle_class, plan.claims[0], plan.notice) == (
        "time_window", Claim("pass", "time_window", pass_id=7, spaces=1), "时段卡 剩余15天")


def test_a_night_pass_admits_after_midnight_before_its_window_ends():
    assert entry(now=at(6, 16, 7, 29), passes=(NIGHT,)).vehicle_class == "time_window"


def test_a_night_pass_admits_from_the_first_minute_of_its_window():
    assert entry(now=at(6, 15, 19), passes=(NIGHT,)).vehicle_class == "time_window"


@pytest.mark.parametrize("now", [at(6, 16, 7, 30), at(6, 15, 12), at(6, 15, 18, 59)])
def test_outside_its_window_a_night_pass_car_enters_as_a_temporary_vehicle(now):
    plan = entry(now=now, passes=(NIGHT,))
    assert (plan.vehicle_class, plan.claims, plan.notice) == ("temporary", (TEMPORARY,), "不在有效时段 按临时车")


def test_the_grace_of_a_night_pass_does_not_admit_it_by_day():
    lapsed = replace(NIGHT, valid_until=at(6, 14))
    plan = entry(now=at(6, 15, 12), passes=(lapsed,))
    assert (plan.vehicle_class, plan.notice) == ("temporary", "不在有效时段 按临时车")


def test_the_grace_of_a_night_pass_admits_it_at_night():
    lapsed = replace(NIGHT, valid_until=at(6, 14))
    plan = entry(now=at(6, 15, 21), passes=(lapsed,))
    assert (plan.vehicle_class, plan.notice) == ("time_window", "时段卡 已过期2天 请续费")


# -- enterprise pools and one space for many cars ---------------------------------------------------


def test_an_enterprise_car_claims_its_pools_spaces_then_a_temporary_space():
    plan = entry(passes=(ENTERPRISE,))
    # last day 08-31: 15 days of June after the 15th, 31 of July, 31 of August
    assert (plan.vehicle_class, plan.claims, plan.notice) == (
        "enterprise", (Claim("pass", "enterprise", pass_id=9, spaces=3), TEMPORARY), "企业车 剩余77天")


@pytest.mark.parametrize("overflow", ["refuse", "wait"])
def test_when_overflow_is_not_temporary_an_enterprise_car_claims_only_its_pool(overflow):
    plan = entry(passes=(ENTERPRISE,), policy=LotPolicy(pool_overflow=overflow))
    assert plan.claims == (Claim("pass", "enterprise", pass_id=9, spaces=3),)


def test_overflow_as_temporary_needs_a_lot_that_admits_temporary_vehicles():
    plan = entry(passes=(ENTERPRISE,), policy=LotPolicy(temporary_vehicles="refuse"))
    assert plan.claims == (Claim("pass", "enterprise", pass_id=9, spaces=3),)


def test_a_shared_parking_pass_claims_the_shared_pool():
    plan = entry(passes=(monthly(4, kind="shared"),))
    assert (plan.claims[0], plan.notice) == (Claim("shared", "shared", pass_id=4, spaces=1), "共享车 剩余15天")


# -- anti-passback ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("setting", "on_open"), [("soft", "replace"), ("off", "replace"), ("hard", "refuse")])
def test_a_pass_car_already_inside_replaces_its_stale_stay_unless_anti_passback_is_hard(setting, on_open):
    assert entry(passes=(monthly(),), policy=LotPolicy(anti_passback=setting)).on_open == on_open


# -- lot in lot -------------------------------------------------------------------------------------


def test_an_owner_pass_for_the_inner_zone_opens_the_outer_gate():
    plan = entry(zone=1, inner_zones=frozenset({2}), passes=(monthly(3, zone=2, kind="owner"),))
    assert (plan.vehicle_class, plan.claims[0], plan.notice) == (
        "owner", Claim("pass", "owner", pass_id=3, spaces=1), "业主车 剩余15天")


def test_an_owner_pass_for_an_inner_zone_does_not_open_an_unrelated_zone():
    plan = entry(zone=3, inner_zones=frozenset({4}), passes=(monthly(3, zone=2, kind="owner"),))
    assert (plan.vehicle_class, plan.claims, plan.notice) == ("temporary", (TEMPORARY,), "临时车")


def test_a_pass_for_the_outer_zone_does_not_open_the_inner_gate():
    assert entry(zone=2, passes=(monthly(3, zone=1),)).vehicle_class == "temporary"


def test_a_pass_without_a_zone_opens_every_zone():
    assert entry(zone=2, passes=(monthly(),)).vehicle_class == "monthly"


# -- shared-parking rights --------------------------------------------------------------------------


def right(facts: EntryFacts) -> SharedRight:
    return SharedRight(agreement_id=11, label="错时共享 至07:30")


def test_a_shared_parking_right_admits_into_the_shared_pool():
    plan = decide_entry(EntryFacts(PLATE, 1, NOW, TZ), shared_right=right)
    assert (plan.vehicle_class, plan.claims, plan.on_open, plan.notice) == (
        "shared", (Claim("shared", "shared"),), "refuse", "错时共享 至07:30")


def test_a_valid_pass_comes_before_a_shared_parking_right():
    assert decide_entry(EntryFacts(PLATE, 1, NOW, TZ, passes=(monthly(),)), shared_right=right).vehicle_class == "monthly"


def test_a_shared_parking_right_comes_before_a_visitor_registration():
    visitor = VisitorFact("3栋201", at(6, 15, 9), at(6, 15, 18))
    assert decide_entry(EntryFacts(PLATE, 1, NOW, TZ, visitors=(visitor,)), shared_right=right).vehicle_class == "shared"


# -- visitors ---------------------------------------------------------------------------------------

VISIT = VisitorFact("3栋201", at(6, 15, 9), at(6, 15, 18))


def test_a_registered_visitor_enters_in_the_temporary_pool_as_a_visitor():
    plan = entry(visitors=(VISIT,))
    assert (plan.vehicle_class, plan.claims, plan.notice) == ("visitor", (Claim("temporary", "visitor"),), "访客车辆")


def test_a_registered_visitor_enters_a_lot_that_refuses_temporary_vehicles():
    assert entry(visitors=(VISIT,), policy=LotPolicy(temporary_vehicles="refuse")).claims == (Claim("temporary", "visitor"),)


def test_a_visitor_registration_opens_at_its_start():
    assert entry(now=at(6, 15, 9), visitors=(VISIT,)).vehicle_class == "visitor"


def test_a_visitor_arriving_before_the_registration_is_a_temporary_vehicle():
    assert entry(now=at(6, 15, 8, 59), visitors=(VISIT,)).vehicle_class == "temporary"


def test_a_visitor_arriving_when_the_registration_is_over_is_a_temporary_vehicle():
    assert entry(now=at(6, 15, 18), visitors=(VISIT,)).vehicle_class == "temporary"


def test_a_visitor_not_yet_registered_is_refused_by_a_lot_refusing_temporary_vehicles():
    plan = entry(now=at(6, 15, 8), visitors=(VISIT,), policy=LotPolicy(temporary_vehicles="refuse"))
    assert plan.refusal == "temporary_refused"


def test_a_registered_visitor_with_an_expired_pass_enters_as_a_visitor():
    assert entry(now=at(7, 10, 10), visitors=(VisitorFact("3栋201", at(7, 10), at(7, 11)),), passes=(monthly(),)).vehicle_class == "visitor"


# -- properties -------------------------------------------------------------------------------------

moments = st.integers(0, 90 * 24 * 60).map(lambda m: at(5, 1) + timedelta(minutes=m))
policies = st.builds(
    LotPolicy,
    pool_overflow=st.sampled_from(["temporary", "refuse", "wait"]),
    anti_passback=st.sampled_from(["off", "soft", "hard"]),
    temporary_vehicles=st.sampled_from(["admit", "refuse"]),
    renewal_grace_days=st.integers(0, 5),
)
list_entries = st.builds(ListFact, kind=st.sampled_from(["whitelist", "blacklist"]), reason=st.just("物业登记"),
                         expires_at=st.none() | moments)
pass_facts = st.sampled_from([monthly(), monthly(2, zone=2, kind="owner"), NIGHT, ENTERPRISE, monthly(4, until=at(6, 5))])
visitor_facts = st.builds(lambda start, hours: VisitorFact("3栋201", start, start + timedelta(hours=hours)), moments, st.integers(1, 48))
entry_facts = st.builds(
    EntryFacts, plate=st.just(PLATE), zone_id=st.sampled_from([1, 2, 3]), now=moments, tz=st.just(TZ), policy=policies,
    lists=st.lists(list_entries, max_size=3).map(tuple), passes=st.lists(pass_facts, max_size=3).map(tuple),
    visitors=st.lists(visitor_facts, max_size=2).map(tuple), inner_zones=st.sampled_from([frozenset(), frozenset({2})]),
)


@given(facts=entry_facts)
def test_a_car_on_an_active_blacklist_never_gets_a_claim(facts):
    blacklisted = replace(facts, lists=(*facts.lists, ListFact("blacklist", "欠费逃单")))
    assert decide_entry(blacklisted).claims == ()


@given(facts=entry_facts)
def test_a_plan_is_refused_exactly_when_it_gives_a_reason(facts):
    plan = decide_entry(facts)
    assert plan.refused == (plan.refusal is not None)


@given(facts=entry_facts)
def test_a_lot_refusing_temporary_vehicles_never_hands_out_a_temporary_claim(facts):
    plan = decide_entry(replace(facts, policy=replace(facts.policy, temporary_vehicles="refuse")))
    assert TEMPORARY not in plan.claims


@given(facts=entry_facts)
def test_a_pass_claim_is_always_the_first_claim_and_names_the_plans_pass(facts):
    plan = decide_entry(facts)
    pass_claims = [c for c in plan.claims if c.pass_id is not None]
    assert pass_claims == ([plan.claims[0]] if plan.pass_id is not None else [])
    assert all(c.pass_id == plan.pass_id for c in pass_claims)
