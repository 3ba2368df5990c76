"""Worked cases of the county lot, Qianshan, Changzhou, old community and vendor-A tariffs
(examples 10–15). 2024-05-06 is a Monday."""

from parking.tariffs import PriorStay
from tests.unit.tariffs.support import at, fee, variant

COUNTY = "10-county-lot-2020"
QS = "11-qianshan-scenic"
CZ = "12-changzhou-transport-centre"
VISITOR = "13-old-community-visitor"
OWNER = "13-old-community-owner"
VENDOR = "14-vendor-rule-a"
CZ_NEV = "15-changzhou-new-energy"


def test_county_lot_forty_five_minutes_free():
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-06T09:45") == 0
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-06T09:46") == 300


def test_county_lot_three_yuan_up_to_two_hours_then_hourly():
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-06T11:00") == 300
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-06T11:01") == 400
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-06T14:30") == 700  # 3 + 4 h


def test_county_lot_night_free_and_ten_yuan_per_24_hours():
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-06T19:00") == 1000  # 3 + 8 → 10
    # 18:00–20:00 per-stay 3; night free; 05:00–08:00 3 h → 6 元
    assert fee(COUNTY, "2024-05-06T18:00", "2024-05-07T08:00") == 600


def test_county_lot_charging_repeats_after_24_hours_without_free_period():
    # first 24 h capped at 10; from Tue 09:00: 3 for two hours again + 1 → 14 元
    assert fee(COUNTY, "2024-05-06T09:00", "2024-05-07T12:00") == 1400


def test_qianshan_thirty_minutes_free_else_from_entry():
    assert fee(QS, "2024-05-06T10:00", "2024-05-06T10:30") == 0
    assert fee(QS, "2024-05-06T10:00", "2024-05-06T10:31") == 200


def test_qianshan_day_and_night_rates():
    assert fee(QS, "2024-05-06T10:00", "2024-05-06T13:00") == 600
    assert fee(QS, "2024-05-06T18:00", "2024-05-06T21:00") == 300  # 2 + 2 × 0.5


def test_qianshan_full_day_costs_ten_daytime_hours():
    assert fee(QS, "2024-05-06T07:00", "2024-05-07T07:00") == 2000
    assert fee(QS, "2024-05-06T07:00", "2024-05-08T07:00") == 4000
    assert fee(QS, "2024-05-06T07:00", "2024-05-07T06:00") == 2000  # cap reading: 24 + 5.5 → 20


def test_qianshan_flat_reading_charges_a_part_day_normally():
    flat = variant(QS, full_day={"hours": 10, "band": "day", "reading": "flat"})
    assert fee(flat, "2024-05-06T07:00", "2024-05-07T06:00") == 2950  # 24 h of day units + 11 × 0.5
    assert fee(flat, "2024-05-06T07:00", "2024-05-07T07:00") == 2000
    assert fee(flat, "2024-05-06T07:00", "2024-05-07T08:00") == 2200


def test_changzhou_thirty_minutes_free_and_not_charged_back():
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T09:30") == 0
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T09:31") == 150
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T11:30") == 1200  # 8 × 1.5


def test_changzhou_after_two_hours_two_yuan_per_quarter():
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T12:30") == 2000  # 12 + 4 × 2


def test_changzhou_cap_and_restart_without_new_free_period():
    assert fee(CZ, "2024-05-06T09:00", "2024-05-06T18:00") == 4800  # 12 + 26 × 2 = 64 → 48
    # first 24 h from 09:30: 48; Tue 09:30–10:00 restarts the ladder: 2 × 1.5
    assert fee(CZ, "2024-05-06T09:00", "2024-05-07T10:00") == 5100


def test_old_community_visitor_brackets():
    expected = {
        "2024-05-06T10:00": 0,
        "2024-05-06T10:01": 500,
        "2024-05-06T11:00": 500,
        "2024-05-06T11:01": 1000,
        "2024-05-06T17:01": 1500,
        "2024-05-06T21:00": 1500,
        "2024-05-07T09:00": 2000,
    }
    for exit_at, fen in expected.items():
        assert fee(VISITOR, "2024-05-06T09:00", exit_at) == fen, exit_at


def test_old_community_visitor_beyond_a_day_pays_per_day_plus_part_day():
    assert fee(VISITOR, "2024-05-06T09:00", "2024-05-07T09:30") == 2000  # 20 + part ≤ 1 h free
    assert fee(VISITOR, "2024-05-06T09:00", "2024-05-07T11:00") == 2500
    assert fee(VISITOR, "2024-05-06T09:00", "2024-05-09T22:00") == 8000  # 3 × 20 + 13 h → 20


def test_old_community_owner_five_yuan_within_a_day():
    assert fee(OWNER, "2024-05-06T09:00", "2024-05-06T10:00") == 0
    assert fee(OWNER, "2024-05-06T09:00", "2024-05-06T10:01") == 500
    assert fee(OWNER, "2024-05-06T09:00", "2024-05-07T09:00") == 500
    assert fee(OWNER, "2024-05-06T09:00", "2024-05-07T11:00") == 1000


def test_vendor_rule_first_hour_includes_the_free_half_hour():
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T09:30") == 0
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T09:31") == 500
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T11:00") == 600
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T11:01") == 700
    assert fee(VENDOR, "2024-05-06T09:00", "2024-05-06T19:00") == 1000  # 14 → 10


def test_vendor_rule_cap_is_shared_by_entries_within_24_hours():
    morning = PriorStay(at("2024-05-06T08:00"), at("2024-05-06T12:00"), 800)
    # 14:00–18:00 alone would be 5 + 3 = 8 元; 2 元 is left of the shared 10 元
    assert fee(VENDOR, "2024-05-06T14:00", "2024-05-06T18:00", prior_stays=(morning,)) == 200
    yesterday = PriorStay(at("2024-05-05T08:00"), at("2024-05-05T12:00"), 800)
    assert fee(VENDOR, "2024-05-06T14:00", "2024-05-06T18:00", prior_stays=(yesterday,)) == 800


def test_changzhou_new_energy_first_stop_two_hours_free_then_half_price():
    nev = {"new_energy"}
    assert fee(CZ_NEV, "2024-05-06T09:00", "2024-05-06T11:00", benefits=nev) == 0
    # billed 11:00–13:00: 8 × 1.5 = 12 → 50 % → 6 元
    assert fee(CZ_NEV, "2024-05-06T09:00", "2024-05-06T13:00", benefits=nev) == 600


def test_changzhou_new_energy_second_stop_of_the_day_gets_only_half_price():
    earlier = PriorStay(at("2024-05-06T07:00"), at("2024-05-06T08:00"), 0)
    # billed 09:30–13:00: 12 + 6 × 2 = 24 → 12 元
    assert fee(CZ_NEV, "2024-05-06T09:00", "2024-05-06T13:00", benefits={"new_energy"}, prior_stays=(earlier,)) == 1200


def test_changzhou_new_energy_pass_holders_are_excluded():
    # pass ends 10:00; billed 10:00–13:00 with no free time and no benefit: 12 + 4 × 2 = 20 元
    assert fee(CZ_NEV, "2024-05-06T09:00", "2024-05-06T13:00", benefits={"new_energy"}, pass_until=at("2024-05-06T10:00")) == 2000


def test_changzhou_new_energy_free_time_not_granted_beyond_24_hours():
    nev = {"new_energy"}
    # a 27 h stay: free 09:00–11:00 only; billed 11:00 → next 11:00 capped 48, then 11:00–12:00 restarts: 4 × 1.5
    total = fee(CZ_NEV, "2024-05-06T09:00", "2024-05-07T12:00", benefits=nev)
    assert total == (4800 + 600) // 2
