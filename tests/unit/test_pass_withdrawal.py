"""A suspended or ended pass admits nobody: the car is a temporary vehicle like any other, the board
says why, and a stay begun on the pass is billed from the moment it was withdrawn."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from parking.admission import EntryFacts, decide_entry
from parking.claims import Claim
from parking.departure import ExitFacts, decide_exit
from parking.passes import PassFact, best_standing, standing
from parking.plates import parse
from parking.policy import LotPolicy
from parking.tariffs.examples import load_example

TZ = ZoneInfo("Asia/Shanghai")
PLATE = parse("粤B12345")


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


MONTHLY = PassFact(1, "monthly", "张三", 1, at(6, 1), at(7, 1))
SUSPENDED = replace(MONTHLY, suspended_at=at(6, 10))
ENDED = replace(MONTHLY, ended_at=at(6, 12))


def entry(*passes: PassFact, policy: LotPolicy = LotPolicy()):  # type: ignore[no-untyped-def]
    return decide_entry(EntryFacts(plate=PLATE, zone_id=1, now=at(6, 15, 10), tz=TZ, policy=policy, passes=passes))


def test_a_suspended_pass_stands_suspended_from_its_suspension_on():
    assert standing(SUSPENDED, {1}, at(6, 9), TZ, 3).state == "valid"
    assert (standing(SUSPENDED, {1}, at(6, 10), TZ, 3).state, standing(SUSPENDED, {1}, at(6, 10), TZ, 3).admits) == ("suspended", False)


def test_an_ended_pass_stands_ended():
    assert (standing(ENDED, {1}, at(6, 15), TZ, 3).state, standing(ENDED, {1}, at(6, 15), TZ, 3).admits) == ("ended", False)


def test_a_valid_pass_is_preferred_to_a_suspended_one():
    other = replace(MONTHLY, id=2)
    assert best_standing([SUSPENDED, other], {1}, at(6, 15), TZ, 3).fact.id == 2


def test_a_car_on_a_suspended_pass_enters_as_a_temporary_vehicle_and_is_told_why():
    plan = entry(SUSPENDED)
    assert (plan.vehicle_class, plan.claims, plan.pass_id, plan.notice) == ("temporary", (Claim("temporary", "temporary"),), None, "月租车已暂停 按临时车")


def test_a_car_on_an_ended_pass_is_refused_where_temporary_vehicles_are():
    plan = entry(ENDED, policy=LotPolicy(temporary_vehicles="refuse"))
    assert (plan.refused, plan.refusal, plan.notice) == (True, "temporary_refused", "月租车已终止 按临时车")


def test_the_pass_facts_carry_the_suspension_and_the_end_through_json():
    assert PassFact.from_json(SUSPENDED.to_json()) == SUSPENDED
    assert PassFact.from_json(ENDED.to_json()) == ENDED
    assert "suspended_at" not in MONTHLY.to_json() and "ended_at" not in MONTHLY.to_json()


def _leave_at_11_30(fact: PassFact):  # type: ignore[no-untyped-def]
    stay = {"uid": "s1", "plate": PLATE.text, "zone": 1, "class": "monthly", "pass": 1, "entry_at": at(6, 10, 8).isoformat()}
    return decide_exit(ExitFacts(plate=PLATE, session=stay, now=at(6, 10, 11, 30), tz=TZ, policy=LotPolicy(),
                                 tariff=load_example("13-old-community-visitor"), passes=(fact,)))


def test_a_stay_begun_on_a_pass_suspended_during_it_is_billed_from_the_suspension():
    # entered 06-10 08:00 on the pass, suspended at 11:00, left at 11:30: 30 minutes billed, within the free hour.
    plan = _leave_at_11_30(replace(MONTHLY, suspended_at=at(6, 10, 11)))
    assert (plan.release, plan.due_fen) == (True, 0)


def test_a_stay_begun_on_a_pass_suspended_before_the_entry_is_billed_whole():
    # suspended at 07:00, entered 08:00, left 11:30: 3 h 30 min, bracket 2–8 h, 10 元.
    plan = _leave_at_11_30(replace(MONTHLY, suspended_at=at(6, 10, 7)))
    assert (plan.release, plan.reason, plan.due_fen) == (False, "fee_due", 1000)
