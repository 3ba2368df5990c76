"""Arrears at the lanes (欠费): shown or refused at the entry as the lot says, asked at the exit with the
stay's fee, said on the board in words; whitelisted cars are never asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parking.admission import EntryFacts, ListFact, decide_entry
from parking.departure import ExitFacts, decide_exit
from parking.lane_display import arrears_notice, entry_decision, exit_decision
from parking.passes import PassFact
from parking.plates import parse
from parking.policy import LotPolicy
from parking.tariffs.examples import load_example

TZ = ZoneInfo("Asia/Shanghai")
PLATE = parse("粤B12345")
NOW = datetime(2024, 6, 15, 10, tzinfo=TZ)
VISITOR = load_example("13-old-community-visitor")  # up to 1 h free; 1–2 h 5 元; 2–8 h 10 元
REFUSE = LotPolicy(arrears_entry="refuse")
WHITELIST = (ListFact("whitelist", "社区医生"),)
MONTHLY = PassFact(1, "monthly", "张三", 1, NOW - timedelta(days=10), NOW + timedelta(days=20))


def entry(policy: LotPolicy = LotPolicy(), arrears_fen: int = 1000, **facts):  # type: ignore[no-untyped-def]
    return decide_entry(EntryFacts(plate=PLATE, zone_id=1, now=NOW, tz=TZ, policy=policy, arrears_fen=arrears_fen, **facts))


def leave(hours: float, arrears_fen: int = 1000, **facts):  # type: ignore[no-untyped-def]
    stay = {"uid": "s1", "plate": PLATE.text, "zone": 1, "class": facts.pop("cls", "temporary"), "pass": facts.pop("pass_id", None),
            "entry_at": (NOW - timedelta(hours=hours)).isoformat()}
    return decide_exit(ExitFacts(plate=PLATE, session=stay, now=NOW, tz=TZ, tariff=VISITOR, arrears_fen=arrears_fen, **facts))


def test_a_car_that_owes_is_admitted_by_default_with_the_amount_carried_in_the_plan():
    plan = entry()
    assert (plan.refused, plan.vehicle_class, plan.arrears_fen) == (False, "temporary", 1000)


def test_a_lot_that_refuses_cars_that_owe_refuses_even_a_pass_holder():
    plan = entry(REFUSE, passes=(MONTHLY,))
    assert (plan.refused, plan.refusal, plan.vehicle_class, plan.arrears_fen) == (True, "arrears", "monthly", 1000)


def test_a_whitelisted_car_that_owes_is_neither_refused_nor_told():
    plan = entry(REFUSE, lists=WHITELIST)
    assert (plan.refused, plan.arrears_fen) == (False, 0)


def test_another_refusal_comes_first():
    plan = entry(REFUSE, lists=(ListFact("blacklist", "多次逃费"),))
    assert (plan.refusal, plan.arrears_fen) == ("blacklist", 0)


def test_a_plate_that_owes_nothing_is_decided_as_before():
    assert entry(REFUSE, arrears_fen=0).refused is False


def test_the_exit_asks_the_stays_fee_and_the_arrears_together():
    plan = leave(3)
    assert (plan.release, plan.reason, plan.due_fen, plan.arrears_fen, plan.stay_due_fen, plan.fee_fen) == (False, "fee_due", 2000, 1000, 1000, 1000)


def test_a_stay_within_the_free_hour_still_owes_the_arrears():
    plan = leave(0.5)
    assert (plan.release, plan.reason, plan.due_fen, plan.stay_due_fen, plan.fee_fen) == (False, "fee_due", 1000, 0, 0)


def test_a_pass_holder_that_owes_is_asked_for_the_arrears_only():
    plan = leave(3, cls="monthly", pass_id=1, passes=(MONTHLY,))
    assert (plan.release, plan.due_fen, plan.stay_due_fen) == (False, 1000, 0)


def test_a_whitelisted_car_leaves_whatever_it_owes():
    assert leave(3, lists=WHITELIST).release is True


def test_the_boards_say_what_is_owed():
    assert arrears_notice(1050) == "欠费10.50元"
    admitted = entry_decision("admitted", PLATE.text, "临时车", arrears_fen=1000)
    assert (admitted.open_gate, admitted.lines, admitted.voice) == (True, (PLATE.text, "临时车", "欠费10元", "欢迎光临"), "粤B12345,欠费10元,欢迎光临")
    refused = entry_decision("arrears", PLATE.text, arrears_fen=1000)
    assert (refused.open_gate, refused.lines, refused.voice) == (False, (PLATE.text, "欠费10元 请缴费后入场"), "粤B12345,欠费10元,请缴费后入场")
    held = exit_decision("fee_due", PLATE.text, timedelta(hours=3), due_fen=2500, arrears_fen=1000)
    assert (held.open_gate, held.lines[-1], held.voice) == (False, "请缴费25元(含欠费10元)", "粤B12345,请缴费25元,含欠费10元")


def test_a_refusal_for_arrears_without_the_amount_is_a_programming_error():
    with pytest.raises(ValueError, match="needs the amount owed"):
        entry_decision("arrears", PLATE.text)
