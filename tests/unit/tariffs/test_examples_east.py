"""Worked cases of the Beijing, Shanghai, Zhenjiang, Nantong and Jinan tariffs (examples 04, 05, 07,
08, 09). 2024-05-06 is a Monday."""

import copy

from parking.tariffs import load_tariff
from parking.tariffs.examples import document
from tests.unit.tariffs.support import fee, variant

BJ = "04-beijing-class1"
SH = "05-shanghai-inner-ring"
HQ = "05-shanghai-hongqiao"
ZJ = "07-zhenjiang-level1"
NT = "08-nantong-class2"
JN = "09-jinan-roadside"


def test_beijing_first_daytime_hour_at_2_5_per_quarter():
    assert fee(BJ, "2024-05-06T09:00", "2024-05-06T10:00") == 1000


def test_beijing_part_quarter_is_not_charged():
    assert fee(BJ, "2024-05-06T09:00", "2024-05-06T09:14") == 0
    # 1 h = 10; 80 min more = 5 × 3.75, the last 5 min free → 28.75 元
    assert fee(BJ, "2024-05-06T09:00", "2024-05-06T11:20") == 2875


def test_beijing_night_is_one_yuan_per_two_hours():
    # 18:00–19:00 day 10; 19:00–22:00 night: one whole 2 h unit, the last hour is a part unit → 11 元
    assert fee(BJ, "2024-05-06T18:00", "2024-05-06T22:00") == 1100
    # 06:00–07:00 night (part unit, free), 07:00–08:00 first daytime hour
    assert fee(BJ, "2024-05-06T06:00", "2024-05-06T08:00") == 1000


def test_shanghai_inner_ring_first_hour_then_half_hours():
    assert fee(SH, "2024-05-06T10:00", "2024-05-06T11:00") == 1500
    assert fee(SH, "2024-05-06T10:00", "2024-05-06T10:01") == 1500
    # 15 + 70 min → 3 half hours × 10 = 45 元
    assert fee(SH, "2024-05-06T10:00", "2024-05-06T12:10") == 4500


def test_hongqiao_twenty_minutes_free_then_billed_from_entry():
    assert fee(HQ, "2024-05-06T10:00", "2024-05-06T10:20") == 0
    assert fee(HQ, "2024-05-06T10:00", "2024-05-06T10:21") == 1000


def test_hongqiao_ten_then_five_per_hour():
    assert fee(HQ, "2024-05-06T10:00", "2024-05-06T14:00") == 3000  # 2 × 10 + 2 × 5


def test_hongqiao_rising_caps_per_day():
    assert fee(HQ, "2024-05-06T10:00", "2024-05-07T10:00") == 6000  # 130 → 60
    assert fee(HQ, "2024-05-06T10:00", "2024-05-08T11:00") == 14500  # 60 + 80 + 5
    assert fee(HQ, "2024-05-06T10:00", "2024-05-09T10:00") == 25000  # 60 + 80 + 110


def test_hongqiao_cumulative_reading_of_rising_caps():
    cumulative = variant(HQ, caps=[{"per": "window_24h", "fen": [6000, 8000, 11000], "cumulative": True}])
    assert fee(cumulative, "2024-05-06T10:00", "2024-05-08T11:00") == 8500  # 60, +20, +5
    assert fee(cumulative, "2024-05-06T10:00", "2024-05-09T10:00") == 11000


def test_zhenjiang_fifteen_minutes_free_then_from_entry():
    assert fee(ZJ, "2024-05-06T10:00", "2024-05-06T10:15") == 0
    assert fee(ZJ, "2024-05-06T10:00", "2024-05-06T10:16") == 500


def test_zhenjiang_blue_yellow_and_oversize():
    assert fee(ZJ, "2024-05-06T10:00", "2024-05-06T12:00") == 1100  # 5 + 2 × 3
    assert fee(ZJ, "2024-05-06T10:00", "2024-05-06T12:00", "large") == 1800  # 8 + 2 × 5
    assert fee(ZJ, "2024-05-06T10:00", "2024-05-06T12:00", "oversize") == 2700  # 18 × 150 %


def test_zhenjiang_daily_cap_per_calendar_day():
    assert fee(ZJ, "2024-05-06T08:00", "2024-05-06T20:00") == 5000  # 5 + 22 × 3 = 71 → 50
    # Mon 20:00–24:00: 5 + 6 × 3 = 23; Tue 00:00–10:00: 20 × 3 = 60 → 50 → 73 元
    assert fee(ZJ, "2024-05-06T20:00", "2024-05-07T10:00") == 7300
    assert fee(ZJ, "2024-05-06T08:00", "2024-05-06T20:00", "oversize") == 7500  # 50 × 150 %


def test_nantong_thirty_minutes_free_then_first_three_hours_four_yuan():
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T09:30") == 0
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T09:31") == 400
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T14:00") == 600  # 4 + 2 × 1


def test_nantong_daily_maximum_twelve_yuan():
    # 4 + 8 daytime hours + 1 night unit = 13 → 12 元
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T23:00") == 1200


def test_nantong_overnight_night_units_of_three_hours():
    # Mon: 4 (18:00–21:00) + 1 (21:00–24:00); Tue: 3 night units to 08:00 (last part unit whole) + 1 day hour
    assert fee(NT, "2024-05-06T18:00", "2024-05-07T09:00") == 900


def test_nantong_large_vehicle_double_including_the_cap():
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T14:00", "large") == 1200
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T23:00", "large") == 2400


def test_nantong_large_vehicle_double_units_under_the_same_cap():
    doc = copy.deepcopy(document(NT))
    doc["classes"]["large"]["factor_scope"] = "units"
    units = load_tariff(doc)
    # 8 + 16 + 2 = 26 → capped at 12 元 per day
    assert fee(units, "2024-05-06T09:00", "2024-05-06T23:00", "large") == 1200


def test_nantong_new_energy_hour_is_deducted_before_billing():
    # free 09:00–10:00, then 4 (10:00–13:00) + 1 (13:00–14:00)
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T14:00", benefits={"new_energy"}) == 500
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T09:50", benefits={"new_energy"}) == 0


def test_nantong_only_the_better_of_new_energy_and_disabled_driver():
    # disabled driver: free 09:00–11:00, then 4 for 11:00–14:00 → 4 元, better than 5 元
    both = {"new_energy", "disabled_driver"}
    assert fee(NT, "2024-05-06T09:00", "2024-05-06T14:00", benefits=both) == 400


def test_jinan_part_hour_is_a_whole_hour():
    assert fee(JN, "2024-05-06T10:00", "2024-05-06T12:30") == 600


def test_jinan_short_crossing_is_charged_at_the_earlier_rate():
    # 19:30–20:20 crosses into night by 20 min: one run of 50 min at the day rate → 2 元
    assert fee(JN, "2024-05-06T19:30", "2024-05-06T20:20") == 200


def test_jinan_sum_per_band_reading_of_the_same_stay():
    split = variant(JN, crossing={"rule": "split"})
    assert fee(split, "2024-05-06T19:30", "2024-05-06T20:20") == 400  # 2 + 2


def test_jinan_night_capped_at_five_yuan():
    assert fee(JN, "2024-05-06T20:00", "2024-05-07T08:00") == 500
    # day 18:00–20:00 = 4; night 3 h → 6 → 5 → 9 元
    assert fee(JN, "2024-05-06T18:00", "2024-05-06T23:00") == 900


def test_jinan_every_short_portion_reading_agrees_on_a_tail():
    every = variant(JN, crossing={"rule": "short_at_earlier", "minutes": 60, "scope": "every"})
    assert fee(every, "2024-05-06T19:30", "2024-05-06T20:20") == 200
