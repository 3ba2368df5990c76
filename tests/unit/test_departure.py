"""The exit decision: open session → whitelist or pass → paid within grace → fee due, held with the amount.

Fees come from the published tariffs in ``parking/tariffs/examples``:

- ``13-old-community-visitor``: up to 1 h free; 1–2 h 5 元; 2–8 h 10 元; 8–12 h 15 元; 12–24 h 20 元;
  each full day 20 元 and the part day by the same brackets. Small cars only. Grace after paying 15 min.
- ``14-vendor-rule-a``: 30 min free (counted); first hour 5 元, then 1 元 per hour; 10 元 per 24 h;
  grace after paying 15 min; no entry record 10 元.
- ``01-shenzhen-roadside-class1``: workdays 07:30–20:00, first ½ h 3 元; first 10 min free; large × 200 %.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from parking.admission import ListFact
from parking.departure import ExitFacts, ExitPlan, decide_exit, tariff_vehicle
from parking.passes import PassFact
from parking.plates import PlateColor, parse
from parking.policy import LotPolicy
from parking.tariffs.examples import load_example

TZ = ZoneInfo("Asia/Shanghai")
PLATE = parse("粤B12345")
VISITOR = load_example("13-old-community-visitor")
VENDOR = load_example("14-vendor-rule-a")
SHENZHEN = load_example("01-shenzhen-roadside-class1")


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=TZ)


def session(entry_at: datetime, cls: str = "temporary", *, pass_id: int | None = None, zone: int = 1,
            paid_fen: int = 0, paid_at: datetime | None = None) -> dict:
    doc = {"uid": "s1", "plate": PLATE.text, "zone": zone, "class": cls, "pass": pass_id, "entry_at": entry_at.isoformat()}
    if paid_fen:
        doc |= {"paid_fen": paid_fen, "paid_at": paid_at.isoformat() if paid_at else None}
    return doc


def leave(stay: dict | None, now: datetime, *, tariff=VISITOR, plate=PLATE, policy: LotPolicy = LotPolicy(), **facts) -> ExitPlan:
    return decide_exit(ExitFacts(plate=plate, session=stay, now=now, tz=TZ, policy=policy, tariff=tariff, **facts))


def outcome(plan: ExitPlan) -> tuple[bool, str, int, int]:
    return plan.release, plan.reason, plan.due_fen, plan.fee_fen


MONTHLY = PassFact(1, "monthly", "张三", 1, at(6, 1), at(7, 1))
NIGHT = PassFact(7, "time_window", "李四", 1, at(6, 1), at(7, 1), window_start=time(19), window_end=time(7, 30))


# -- temporary vehicles under the tariff ------------------------------------------------------------


def test_leaving_within_the_free_hour_is_free():
    plan = leave(session(at(6, 3, 9)), at(6, 3, 10))
    assert outcome(plan) == (True, "free", 0, 0)
    assert plan.entry_at == at(6, 3, 9)


def test_the_seconds_of_the_last_minute_are_not_billed():
    assert outcome(leave(session(at(6, 3, 9)), at(6, 3, 10, 0, 59))) == (True, "free", 0, 0)


def test_one_minute_beyond_the_free_hour_is_held_with_the_fee():
    # 61 min: bracket 1–2 h, 5 元
    plan = leave(session(at(6, 3, 9)), at(6, 3, 10, 1))
    assert outcome(plan) == (False, "fee_due", 500, 500)
    assert plan.quote.total_fen == 500


def test_a_stay_of_several_days_pays_each_full_day_and_the_part_day_by_the_brackets():
    # 2 days 3 h: 2 × 20 元 + 3 h in the 2–8 h bracket 10 元 = 50 元
    assert outcome(leave(session(at(6, 3, 9)), at(6, 5, 12))) == (False, "fee_due", 5000, 5000)


def test_paid_and_leaving_within_the_grace_period_is_released():
    # paid 5 元 at 10:30 for 1 h 30 min; 15 min grace
    plan = leave(session(at(6, 3, 9), paid_fen=500, paid_at=at(6, 3, 10, 30)), at(6, 3, 10, 45))
    assert outcome(plan) == (True, "paid", 0, 500)


def test_paid_then_overstaying_the_grace_pays_the_overstay_from_the_first_unit():
    # paid 5 元 at 09:40 (40 min, beyond the counted 30 free min: first hour 5 元); leaving 10:00 is
    # 20 min after paying, beyond 15 min grace: a new first hour 5 元, within the 10 元 cap
    plan = leave(session(at(6, 3, 9), paid_fen=500, paid_at=at(6, 3, 9, 40)), at(6, 3, 10), tariff=VENDOR)
    assert outcome(plan) == (False, "fee_due", 500, 1000)


def test_paid_then_overstaying_stops_at_the_cap():
    # paid 6 元 at 11:00 (first hour 5 + 1 h at 1 元); leaving 11:16 starts a new first hour (5 元)
    # of which 4 元 are left under the 10 元 cap
    plan = leave(session(at(6, 3, 9), paid_fen=600, paid_at=at(6, 3, 11)), at(6, 3, 11, 16), tariff=VENDOR)
    assert outcome(plan) == (False, "fee_due", 400, 1000)


def test_paid_then_overstaying_under_the_visitor_tariff_is_held_with_a_fee():
    plan = leave(session(at(6, 3, 9), paid_fen=500, paid_at=at(6, 3, 10, 30)), at(6, 3, 10, 46))
    assert (plan.release, plan.reason) == (False, "fee_due")


def test_without_a_tariff_the_lot_is_free_and_the_car_is_released():
    assert outcome(leave(session(at(6, 3, 9)), at(6, 3, 18), tariff=None)) == (True, "no_tariff", 0, 0)


# -- vehicle classes of the tariff ------------------------------------------------------------------

LARGE = parse("粤B12345", PlateColor.YELLOW)


def test_a_large_plate_pays_as_a_small_car_under_a_tariff_without_a_large_class():
    # 61 min: 5 元, as any car
    plan = leave(session(at(6, 3, 9)), at(6, 3, 10, 1), plate=LARGE)
    assert (plan.due_fen, plan.quote.vehicle_class) == (500, "small")


def test_a_large_plate_pays_the_large_class_where_the_tariff_prices_it():
    # Tuesday 10:00–10:30, beyond the 10 free min: first ½ h 3 元, × 200 % for large vehicles
    plan = leave(session(at(6, 4, 10)), at(6, 4, 10, 30), tariff=SHENZHEN, plate=LARGE)
    assert (plan.due_fen, plan.quote.vehicle_class) == (600, "large")


def test_a_small_car_pays_the_small_class_of_the_same_tariff():
    assert leave(session(at(6, 4, 10)), at(6, 4, 10, 30), tariff=SHENZHEN).due_fen == 300


def test_green_plates_may_claim_the_new_energy_benefit():
    assert tariff_vehicle(parse("粤BD12345"), SHENZHEN) == ("small", frozenset({"new_energy"}))


def test_blue_plates_claim_no_benefit():
    assert tariff_vehicle(PLATE, SHENZHEN) == ("small", frozenset())


# -- whitelist --------------------------------------------------------------------------------------


def test_a_car_that_entered_on_the_whitelist_leaves_free():
    assert outcome(leave(session(at(6, 3, 9), "whitelist"), at(6, 3, 18))) == (True, "whitelist", 0, 0)


def test_a_car_whitelisted_during_its_stay_leaves_free():
    plan = leave(session(at(6, 3, 9)), at(6, 3, 18), lists=(ListFact("whitelist", "物业车辆"),))
    assert outcome(plan) == (True, "whitelist", 0, 0)


def test_an_expired_whitelist_entry_does_not_free_the_stay():
    # 9 h: bracket 8–12 h, 15 元
    plan = leave(session(at(6, 3, 9)), at(6, 3, 18), lists=(ListFact("whitelist", "装修车辆", expires_at=at(6, 3, 12)),))
    assert outcome(plan) == (False, "fee_due", 1500, 1500)


# -- passes -----------------------------------------------------------------------------------------


def test_a_valid_pass_covers_the_stay():
    plan = leave(session(at(6, 3, 9), "monthly", pass_id=1), at(6, 5, 9), passes=(MONTHLY,))
    assert (outcome(plan), plan.vehicle_class) == ((True, "pass", 0, 0), "monthly")


def test_a_pass_in_its_late_renewal_grace_still_covers_the_stay():
    assert outcome(leave(session(at(6, 30, 20), "monthly", pass_id=1), at(7, 2, 8), passes=(MONTHLY,))) == (True, "pass", 0, 0)


def test_a_pass_expiring_mid_stay_without_grace_is_charged_from_its_expiry():
    # expired 07-01 00:00, leaving 01:30: 1 h 30 min, bracket 1–2 h, 5 元
    plan = leave(session(at(6, 30, 20), "monthly", pass_id=1), at(7, 1, 1, 30), passes=(MONTHLY,),
                 policy=LotPolicy(renewal_grace_days=0))
    assert outcome(plan) == (False, "fee_due", 500, 500)


def test_a_stay_begun_in_the_grace_and_ended_beyond_it_is_charged_from_the_entry():
    # pass ended 06-13, entered 06-15 10:00 in the grace, left 06-17 11:00: 2 days + 1 h = 2 × 20 元 + 0
    lapsed = replace(MONTHLY, valid_until=at(6, 13))
    plan = leave(session(at(6, 15, 10), "monthly", pass_id=1), at(6, 17, 11), passes=(lapsed,))
    assert outcome(plan) == (False, "fee_due", 4000, 4000)


def test_a_withdrawn_pass_leaves_the_whole_stay_to_the_tariff():
    # 2 h 30 min: bracket 2–8 h, 10 元
    assert outcome(leave(session(at(6, 3, 9), "monthly", pass_id=1), at(6, 3, 11, 30), passes=())) == (False, "fee_due", 1000, 1000)


def test_a_pass_for_an_inner_zone_covers_a_stay_in_the_outer_zone():
    inner = replace(MONTHLY, zone_id=2, kind="owner")
    plan = leave(session(at(6, 3, 9), "owner", pass_id=1, zone=1), at(6, 3, 18), passes=(inner,), inner_zones=frozenset({2}))
    assert outcome(plan) == (True, "pass", 0, 0)


def test_a_pass_for_an_unrelated_zone_does_not_cover_the_stay():
    # 9 h: bracket 8–12 h, 15 元
    other = replace(MONTHLY, zone_id=2, kind="owner")
    assert outcome(leave(session(at(6, 3, 9), "owner", pass_id=1, zone=3), at(6, 3, 18), passes=(other,))) == (False, "fee_due", 1500, 1500)


def test_a_night_pass_covers_a_night_in_its_window():
    assert outcome(leave(session(at(6, 3, 20), "time_window", pass_id=7), at(6, 4, 7), passes=(NIGHT,))) == (True, "pass", 0, 0)


def test_a_night_pass_overstaying_its_window_is_charged_from_the_windows_end():
    # charged 07:30–09:00: 1 h 30 min, bracket 1–2 h, 5 元
    plan = leave(session(at(6, 3, 20), "time_window", pass_id=7), at(6, 4, 9), passes=(NIGHT,))
    assert outcome(plan) == (False, "fee_due", 500, 500)


def test_a_night_pass_overstaying_its_window_by_less_than_the_free_hour_leaves_free():
    assert outcome(leave(session(at(6, 3, 20), "time_window", pass_id=7), at(6, 4, 8), passes=(NIGHT,))) == (True, "free", 0, 0)


def test_a_night_pass_staying_all_day_pays_the_day_even_when_leaving_in_the_next_window():
    # charged 07:30–21:00: 13 h 30 min, bracket 12–24 h, 20 元
    plan = leave(session(at(6, 3, 20), "time_window", pass_id=7), at(6, 4, 21), passes=(NIGHT,))
    assert outcome(plan) == (False, "fee_due", 2000, 2000)


def test_a_night_pass_expiring_after_its_window_ended_is_charged_from_the_windows_end():
    # window ended 06-30 07:30, pass ended 07-01 00:00, left 07-01 10:00: 26 h 30 min =
    # one full day 20 元 + 2 h 30 min in the 2–8 h bracket 10 元 = 30 元
    plan = leave(session(at(6, 29, 20), "time_window", pass_id=7), at(7, 1, 10), passes=(NIGHT,),
                 policy=LotPolicy(renewal_grace_days=0))
    assert outcome(plan) == (False, "fee_due", 3000, 3000)


def test_a_night_pass_expiring_inside_its_window_is_charged_from_its_expiry():
    # pass ended 07-01 00:00 inside the window begun 06-30 19:00; left 09:00: 9 h, bracket 8–12 h, 15 元
    plan = leave(session(at(6, 30, 20), "time_window", pass_id=7), at(7, 1, 9), passes=(NIGHT,),
                 policy=LotPolicy(renewal_grace_days=0))
    assert outcome(plan) == (False, "fee_due", 1500, 1500)


# -- no entry record --------------------------------------------------------------------------------


def test_a_car_without_an_entry_record_is_held_for_an_attendant():
    assert outcome(leave(None, at(6, 3, 9))) == (False, "no_entry_record", 0, 0)


def test_a_lot_charging_a_flat_fee_without_an_entry_record_asks_its_fee():
    plan = leave(None, at(6, 3, 9), tariff=None, policy=LotPolicy(no_entry_record="flat_fee", no_entry_fee_fen=500))
    assert outcome(plan) == (False, "no_entry_fee", 500, 500)


def test_the_tariffs_published_fee_for_a_missing_entry_record_is_asked_where_it_has_one():
    plan = leave(None, at(6, 3, 9), tariff=VENDOR, policy=LotPolicy(no_entry_record="flat_fee", no_entry_fee_fen=500))
    assert outcome(plan) == (False, "no_entry_fee", 1000, 1000)


def test_a_pass_holder_without_an_entry_record_leaves_free():
    assert outcome(leave(None, at(6, 3, 9), passes=(MONTHLY,))) == (True, "pass_no_entry", 0, 0)


def test_a_pass_of_an_inner_zone_counts_when_the_entry_record_is_missing():
    owner = PassFact(3, "owner", "王五", 1, at(6, 1), at(7, 1), zone_id=9)
    assert outcome(leave(None, at(6, 3, 9), passes=(owner,))) == (True, "pass_no_entry", 0, 0)


def test_an_expired_pass_without_an_entry_record_is_held():
    assert outcome(leave(None, at(7, 20, 9), passes=(MONTHLY,))) == (False, "no_entry_record", 0, 0)


def test_a_whitelisted_car_without_an_entry_record_leaves_free():
    white = ListFact("whitelist", "社区医生")
    assert outcome(leave(None, at(6, 3, 9), lists=(white,))) == (True, "whitelist_no_entry", 0, 0)


def test_a_flat_fee_of_nothing_lets_the_car_out():
    plan = leave(None, at(6, 3, 9), tariff=None, policy=LotPolicy(no_entry_record="flat_fee", no_entry_fee_fen=0))
    assert outcome(plan) == (True, "free", 0, 0)


def test_the_lots_flat_fee_applies_where_the_tariff_publishes_none():
    plan = leave(None, at(6, 3, 9), tariff=VISITOR, policy=LotPolicy(no_entry_record="flat_fee", no_entry_fee_fen=500))
    assert outcome(plan) == (False, "no_entry_fee", 500, 500)


# -- properties -------------------------------------------------------------------------------------

moments = st.integers(0, 60 * 24 * 60).map(lambda m: at(5, 20) + timedelta(minutes=m))


@st.composite
def exits(draw) -> ExitFacts:
    entry_at = draw(moments)
    now = entry_at + timedelta(minutes=draw(st.integers(0, 4 * 24 * 60)), seconds=draw(st.integers(0, 59)))
    tariff = draw(st.sampled_from([VISITOR, VENDOR, SHENZHEN, None]))
    cls, pass_id = draw(st.sampled_from([("temporary", None), ("monthly", 1), ("time_window", 7), ("whitelist", None)]))
    paid_fen, paid_at = 0, None
    if tariff is VENDOR and draw(st.booleans()):  # see the xfail above for payments under brackets tariffs
        paid_at = entry_at + (now - entry_at) * draw(st.floats(0, 1))
        paid_fen = draw(st.integers(1, 1000))
    stay = draw(st.none() | st.just(session(entry_at, cls, pass_id=pass_id, paid_fen=paid_fen, paid_at=paid_at)))
    policy = LotPolicy(no_entry_record=draw(st.sampled_from(["hold", "flat_fee"])), no_entry_fee_fen=draw(st.integers(0, 2000)),
                       renewal_grace_days=draw(st.integers(0, 3)))
    lists = draw(st.sampled_from([(), (ListFact("whitelist", "物业车辆"),), (ListFact("whitelist", "装修车辆", expires_at=now),)]))
    return ExitFacts(PLATE, stay, now, TZ, policy=policy, lists=lists, passes=(MONTHLY, NIGHT), tariff=tariff)


@given(facts=exits())
def test_a_car_is_never_released_with_a_fee_due(facts):
    plan = decide_exit(facts)
    assert not (plan.release and plan.due_fen > 0)


@given(facts=exits())
def test_the_fee_of_a_stay_is_what_was_paid_and_what_is_due(facts):
    plan = decide_exit(facts)
    paid = int(facts.session.get("paid_fen", 0)) if facts.session else 0
    assert plan.fee_fen == paid + plan.due_fen
    assert plan.due_fen >= 0


@given(facts=exits())
def test_a_held_car_with_a_session_owes_a_fee(facts):
    plan = decide_exit(facts)
    if facts.session is not None and not plan.release:
        assert (plan.reason, plan.due_fen > 0) == ("fee_due", True)
