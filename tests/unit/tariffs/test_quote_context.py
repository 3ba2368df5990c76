"""Quote behaviour that depends on the context: payment and grace, passes, re-entry, missing entry
records, merchant coupons, final rounding, and the receipt lines."""

import pytest

from parking.tariffs import Coupon, PriorStay, QuoteContext, Stay, TariffError, quote
from parking.tariffs.examples import load_example
from tests.unit.tariffs.support import at, fee, variant

CZ = "12-changzhou-transport-centre"
VENDOR = "14-vendor-rule-a"


def test_leaving_within_grace_after_paying_costs_nothing_more():
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T10:45", paid_at=at("2024-05-06T10:30")) == 0


def test_leaving_after_grace_pays_extra_time_from_the_first_unit_without_free_period():
    # paid at 10:30 for 09:30–10:30; leaving 10:50: 20 min from the first unit = 2 × 1.5 元
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T10:50", paid_at=at("2024-05-06T10:30")) == 300


def test_overstay_after_payment_still_respects_the_cap():
    # paid 6 元 at 11:00 (5 + 1); leaving 11:16 would start a new first hour (5) but 4 元 is left of 10
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T11:16", paid_at=at("2024-05-06T11:00")) == 400


def test_pass_ending_mid_stay_is_free_until_it_ends():
    # pass until 10:00; tariff from 10:00 with no free period: 4 × 1.5
    assert fee(CZ, "2024-05-06T08:00", "2024-05-06T11:00", pass_until=at("2024-05-06T10:00")) == 600


def test_pass_covering_the_whole_stay_is_free():
    assert fee(CZ, "2024-05-06T08:00", "2024-05-06T11:00", pass_until=at("2024-05-06T12:00")) == 0


def test_reentry_within_ten_minutes_continues_the_stay():
    first = PriorStay(at("2024-05-06T09:00"), at("2024-05-06T09:40"), 500)
    # 09:00–11:00 as one stay = 6 元, 5 already paid
    assert fee(VENDOR, "2024-05-06T09:45", "2024-05-06T11:00", prior_stays=(first,)) == 100


def test_reentry_after_the_window_is_a_new_stay():
    first = PriorStay(at("2024-05-06T09:00"), at("2024-05-06T09:40"), 500)
    # 09:55–11:00 alone is 6 元, but only 5 is left of the shared 10 元 cap
    assert fee(VENDOR, "2024-05-06T09:55", "2024-05-06T11:00", prior_stays=(first,)) == 500


def test_no_entry_record_pays_the_flat_fee():
    result = quote(load_example(VENDOR), Stay(None, at("2024-05-06T11:00")), QuoteContext())
    assert (result.total_fen, result.needs_staff) == (1000, False)


def test_no_entry_record_goes_to_staff_where_no_fee_is_set():
    result = quote(load_example(CZ), Stay(None, at("2024-05-06T11:00")), QuoteContext())
    assert (result.total_fen, result.needs_staff) == (0, True)


@pytest.mark.parametrize(
    ("coupons", "expected"),
    [
        ((Coupon("minutes", 60),), 600),  # the stay counts as 09:00–11:00
        ((Coupon("minutes", 180),), 500),  # at most 120 minutes off
        ((Coupon("percent", 50),), 350),
        ((Coupon("amount", 300),), 400),
        ((Coupon("amount", 300), Coupon("amount", 300)), 200),  # at most 5 元 off in total
        ((Coupon("free"),), 0),
        ((Coupon("amount", 100), Coupon("amount", 100), Coupon("amount", 100)), 500),  # two per stay
    ],
)
def test_merchant_coupons_within_their_limits(coupons, expected):
    # 09:00–12:00 costs 5 + 2 = 7 元 before coupons
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T12:00", coupons=coupons) == expected


def test_coupon_on_a_tariff_that_takes_none_is_rejected():
    with pytest.raises(TariffError) as error:
        fee(CZ, "2024-05-06T09:00", "2024-05-06T12:00", coupons=(Coupon("free"),))
    assert error.value.field == "coupons"


def test_final_rounding_half_up_to_the_yuan():
    rounded = variant("01-shenzhen-roadside-class1", final_rounding="yuan_half_up")
    assert fee(rounded, "2024-05-18T10:00", "2024-05-18T10:30") == 100  # 1.2 → 1
    assert fee(rounded, "2024-05-18T10:00", "2024-05-18T11:00") == 400  # 3.6 → 4
    assert fee(rounded, "2024-05-18T10:00", "2024-05-18T11:30") == 600  # 6.0 stays


def test_lines_add_up_to_the_total_and_speak_chinese():
    stay = Stay(at("2024-05-06T21:00"), at("2024-05-07T08:00"))
    result = quote(load_example("03-guangzhou-central"), stay, QuoteContext())
    assert sum(line.amount_fen for line in result.lines) == result.total_fen == 2000
    rules = [line.rule for line in result.lines]
    assert rules == ["白天（07:30–21:30）", "夜间（21:30–07:30）", "白天（07:30–21:30）", "夜间每段最高10元"]
    assert [line.amount_fen for line in result.lines] == [500, 2000, 500, -1000]


def test_night_crossing_midnight_is_one_line():
    stay = Stay(at("2024-05-06T22:00"), at("2024-05-07T02:00"))
    result = quote(load_example("03-guangzhou-central"), stay, QuoteContext())
    assert [(line.units, line.amount_fen) for line in result.lines] == [(8, 800)]


def test_quote_names_the_benefit_that_applied():
    stay = Stay(at("2024-05-06T09:00"), at("2024-05-06T14:00"), benefits=frozenset({"new_energy", "disabled_driver"}))
    assert quote(load_example("08-nantong-class2"), stay, QuoteContext()).benefit == "disabled_driver"
