"""Paying, then leaving later than the grace period, under a tariff priced by duration brackets (13).

The rule: leaving later charges the extra time from the first unit, without a new free period. For
brackets the extra time is priced by the brackets again and a free bracket costs the first bracket
that charges (`"overstay": "restart"`, what the examples ship); the other reading bounds what was
paid plus the extra by the fee of the whole stay unpaid (`"overstay": "whole_stay_cap"`).

Visitors: ≤ 1 h free; 1–2 h 5 元; 2–8 h 10; 8–12 h 15; 12–24 h 20; each whole day 20 and the part
day by the same brackets. Owners: ≤ 1 h free; within 24 h 5 元. Grace 15 min. 2024-05-06 is a Monday.
"""

import copy

import pytest

from parking.tariffs import QuoteContext, Stay, TariffError, describe, load_tariff, quote
from parking.tariffs.examples import document, load_example
from tests.unit.tariffs.support import at, fee

VISITOR = "13-old-community-visitor"
OWNER = "13-old-community-owner"


def capped(name: str):
    doc = copy.deepcopy(document(name))
    doc["brackets"]["overstay"] = "whole_stay_cap"
    return load_tariff(doc)


def paid_fee(tariff, exit_at: str, paid_at: str = "2024-05-06T10:30") -> int:
    """The extra fee of a stay from Monday 09:00 paid at `paid_at` (09:00–10:30 costs 5 元)."""
    return fee(tariff, "2024-05-06T09:00", exit_at, paid_at=at(paid_at))


def test_the_examples_read_the_overstay_as_a_restart_of_the_brackets():
    assert load_example(VISITOR).brackets.overstay == "restart"
    assert load_example(OWNER).brackets.overstay == "restart"


@pytest.mark.parametrize("tariff", [VISITOR, capped(VISITOR)], ids=["restart", "whole_stay_cap"])
def test_leaving_within_the_grace_period_costs_nothing_more(tariff):
    assert paid_fee(tariff, "2024-05-06T10:45") == 0


@pytest.mark.parametrize(
    ("exit_at", "expected"),
    [
        ("2024-05-06T10:46", 500),  # 16 min: the free first hour is not granted again → 1–2 h bracket
        ("2024-05-06T11:30", 500),  # 1 h
        ("2024-05-06T11:31", 500),  # 1 h 1 min: 1–2 h
        ("2024-05-06T12:31", 1000),  # 2 h 1 min: 2–8 h
        ("2024-05-07T11:30", 2500),  # 25 h: a whole day 20 + 1 h that is not free again 5
    ],
)
def test_restart_prices_the_extra_time_by_the_brackets_without_the_free_bracket(exit_at, expected):
    assert paid_fee(VISITOR, exit_at) == expected


def test_restart_under_the_owner_tariff_charges_the_day_price_again():
    # 30 min after paying 5 元: the free hour is not granted again → 5 元
    assert paid_fee(OWNER, "2024-05-06T11:00") == 500


@pytest.mark.parametrize(
    ("exit_at", "paid_at", "expected"),
    [
        # whole 09:00–10:46 costs 5 元, 5 already paid: nothing more
        ("2024-05-06T10:46", "2024-05-06T10:30", 0),
        # whole 09:00–11:01 costs 10 元, 5 paid; the 31 min extra costs 5 → 5
        ("2024-05-06T11:01", "2024-05-06T10:30", 500),
        # whole 09:00–12:31 (3 h 31) costs 10 元, 5 paid; the 2 h 1 min extra would cost 10 → 5
        ("2024-05-06T12:31", "2024-05-06T10:30", 500),
        # whole 25 h 30 costs 20 + 10 = 30 元, 5 paid; the 25 h extra costs 25 → 25 (the bound does not bite)
        ("2024-05-07T11:30", "2024-05-06T10:30", 2500),
        # paid 20 元 at 08:00 on Tuesday (23 h); whole 24 h 20 costs 20 + 0: nothing more
        ("2024-05-07T09:20", "2024-05-07T08:00", 0),
    ],
)
def test_whole_stay_cap_never_charges_more_than_the_whole_stay_unpaid(exit_at, paid_at, expected):
    assert paid_fee(capped(VISITOR), exit_at, paid_at) == expected


def test_the_same_late_exit_under_both_readings():
    # paid 20 元 at Tuesday 08:00; leaving 09:20: 1 h 20 extra
    assert paid_fee(VISITOR, "2024-05-07T09:20", "2024-05-07T08:00") == 500
    assert paid_fee(capped(VISITOR), "2024-05-07T09:20", "2024-05-07T08:00") == 0


def test_the_receipt_shows_the_payment_the_overstay_and_the_bound():
    stay = Stay(at("2024-05-06T09:00"), at("2024-05-06T12:31"))
    result = quote(capped(VISITOR), stay, QuoteContext(paid_at=at("2024-05-06T10:30")))
    assert [(line.rule, line.amount_fen) for line in result.lines] == [
        ("已缴费5元", 0),
        ("缴费后超过15分钟离场，超时部分从首个计费单位起计费，不再免费", 0),
        ("缴费后超时2小时1分钟，停车2小时至8小时10元", 1000),
        ("已缴5元与超时费用合计不超过整段停车费10元", -500),
    ]
    assert result.total_fen == sum(line.amount_fen for line in result.lines) == 500


def test_the_receipt_says_the_free_bracket_is_not_granted_again():
    stay = Stay(at("2024-05-06T09:00"), at("2024-05-06T10:46"))
    result = quote(load_example(VISITOR), stay, QuoteContext(paid_at=at("2024-05-06T10:30")))
    assert result.lines[-1].rule == "缴费后超时16分钟，不再免费，按首个收费档5元计"
    assert (result.lines[-1].start, result.lines[-1].end) == (at("2024-05-06T10:30"), at("2024-05-06T10:46"))


def test_the_published_text_states_the_reading():
    assert "超时部分按上述标准另计，不再免费（最低5元）" in describe(load_example(VISITOR))
    assert "已缴与超时费用合计不超过整段停车应缴金额" in describe(capped(VISITOR))
    assert "never exceeds the fee of the whole stay" in describe(capped(VISITOR), "en")


def test_an_unknown_overstay_reading_is_rejected_naming_the_field():
    doc = copy.deepcopy(document(VISITOR))
    doc["brackets"]["overstay"] = "forgive"
    with pytest.raises(TariffError) as error:
        load_tariff(doc)
    assert error.value.field == "brackets.overstay"
    assert "restart" in error.value.problem and "whole_stay_cap" in error.value.problem
