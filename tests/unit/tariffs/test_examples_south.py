"""Worked cases of the Shenzhen, Guangzhou and Hangzhou tariffs (examples 01, 02, 03, 06).

2024-05-06 is a Monday; 2024-05-18 a Saturday; 2024-10-12 a Saturday worked in lieu of the
National Day holiday; 2024-10-01 a public holiday.
"""

from parking.tariffs.examples import document
from tests.unit.tariffs.support import fee, variant

SZ1 = "01-shenzhen-roadside-class1"
SZ2 = "01-shenzhen-roadside-class2"
NEV = "02-shenzhen-new-energy"
GZ = "03-guangzhou-central"
HZ = "06-hangzhou-core"


def test_shenzhen_first_ten_minutes_are_free():
    assert fee(SZ1, "2024-05-06T09:00", "2024-05-06T09:10") == 0


def test_shenzhen_eleven_minutes_pay_from_entry():
    # counted free period: 11 min > 10 → the whole stay is billed, one part unit of 3 元
    assert fee(SZ1, "2024-05-06T09:00", "2024-05-06T09:11") == 300


def test_shenzhen_four_workday_hours_climb_all_three_steps():
    # 3 (first ½ h) + 5 × 6 (½ h to 3 h) + 2 × 10 (after 3 h) = 53 元
    assert fee(SZ1, "2024-05-06T09:00", "2024-05-06T13:00") == 5300


def test_shenzhen_overnight_stay_pays_only_charged_hours_each_day():
    # Mon 19:00–20:00: 3 + 6; night free; Tue 07:30–08:30: 3 + 6 → 18 元
    assert fee(SZ1, "2024-05-06T19:00", "2024-05-07T08:30") == 1800


def test_shenzhen_saturday_is_free_until_ten_then_non_workday_rates():
    # 2024-05-18 Sat: free until 10:00; 10:00–11:00: 1.2 + 2.4 = 3.6 元
    assert fee(SZ1, "2024-05-18T09:00", "2024-05-18T11:00") == 360


def test_shenzhen_saturday_worked_in_lieu_uses_workday_rates():
    # 2024-10-12 is a working Saturday: 09:00–10:00 = 3 + 6 = 9 元
    assert fee(SZ1, "2024-10-12T09:00", "2024-10-12T10:00") == 900


def test_shenzhen_public_holiday_uses_non_workday_band():
    # 2024-10-01: free until 10:00, then ½ h at 1.2 元
    assert fee(SZ1, "2024-10-01T09:00", "2024-10-01T10:30") == 120


def test_shenzhen_class_two_workday_and_non_workday_rates():
    assert fee(SZ2, "2024-05-06T09:00", "2024-05-06T10:00") == 540  # 1.8 + 3.6
    # Sat 10:00–14:00: 0.9 + 5 × 1.5 + 2 × 2.5 = 13.4 元
    assert fee(SZ2, "2024-05-18T10:00", "2024-05-18T14:00") == 1340


def test_shenzhen_large_vehicle_pays_double():
    assert fee(SZ1, "2024-05-06T09:00", "2024-05-06T10:00", "large") == 1800


def test_shenzhen_free_ten_minutes_read_as_deducted():
    deducted = variant(SZ1, free_period={"minutes": 10, "mode": "deducted"})
    # 09:00–09:40: only 09:10–09:40 is billed → one unit of 3 元 (counted reading: 3 + 6)
    assert fee(deducted, "2024-05-06T09:00", "2024-05-06T09:40") == 300
    assert fee(SZ1, "2024-05-06T09:00", "2024-05-06T09:40") == 900


def test_new_energy_first_two_charged_hours_of_the_day_are_free():
    # 09:00–11:00 free; 11:00–12:00 starts the ladder: 3 + 6 = 9 元 (others pay 3 + 5 × 6 = 33 元)
    assert fee(NEV, "2024-05-06T09:00", "2024-05-06T12:00", benefits={"new_energy"}) == 900
    assert fee(NEV, "2024-05-06T09:00", "2024-05-06T12:00") == 3300


def test_new_energy_free_hours_count_charged_time_not_the_free_night():
    # entry 06:00, charging starts 07:30: free 07:30–09:30; 09:30–10:30: 3 + 6
    assert fee(NEV, "2024-05-06T06:00", "2024-05-06T10:30", benefits={"new_energy"}) == 900


def test_new_energy_gets_two_free_hours_again_the_next_day():
    # Mon 18:00–20:00 all free; Tue 07:30–09:30 free; 09:30–10:00: 3 元
    assert fee(NEV, "2024-05-06T18:00", "2024-05-07T10:00", benefits={"new_energy"}) == 300


def test_new_energy_minutes_used_earlier_today_are_not_given_again():
    # 90 of 120 minutes already used: 09:00–09:30 free, 09:30–10:00: 3 元
    assert fee(NEV, "2024-05-06T09:00", "2024-05-06T10:00", benefits={"new_energy"}, benefit_minutes_used_today=90) == 300


def test_guangzhou_daytime_half_hours():
    assert fee(GZ, "2024-05-06T09:00", "2024-05-06T11:00") == 2000  # 4 × 5
    assert fee(GZ, "2024-05-06T09:00", "2024-05-06T09:01") == 500


def test_guangzhou_night_is_capped_at_ten_yuan():
    # 21:00–21:30 day 5; night 21:30–07:30 20 × 1 = 20 → 10; 07:30–08:00 day 5 → 20 元
    assert fee(GZ, "2024-05-06T21:00", "2024-05-07T08:00") == 2000


def test_guangzhou_twenty_four_hours_cost_at_most_45_yuan():
    assert fee(GZ, "2024-05-06T08:00", "2024-05-07T08:00") == 4500
    assert fee(GZ, "2024-05-06T08:00", "2024-05-08T08:00") == 9000


def test_guangzhou_large_vehicle_pays_per_space_occupied():
    assert fee(GZ, "2024-05-06T09:00", "2024-05-06T11:00", "large") == 4000
    assert fee(GZ, "2024-05-06T08:00", "2024-05-07T08:00", "large") == 9000


def test_hangzhou_first_hour_then_higher_rate():
    # 5 + 5 + 6 = 16 元
    assert fee(HZ, "2024-05-06T09:00", "2024-05-06T10:30") == 1600


def test_hangzhou_large_double_and_motorcycle_half():
    assert fee(HZ, "2024-05-06T09:00", "2024-05-06T10:30", "large") == 3200
    assert fee(HZ, "2024-05-06T09:00", "2024-05-06T10:30", "motorcycle") == 800
    assert fee(HZ, "2024-05-06T09:00", "2024-05-06T09:30", "motorcycle") == 250


def test_hangzhou_outside_charged_hours_is_free():
    assert fee(HZ, "2024-05-06T19:00", "2024-05-06T21:00") == 1000
    assert fee(HZ, "2024-05-06T06:00", "2024-05-06T08:00") == 0


def test_shenzhen_document_names_both_day_kinds():
    kinds = {band["days"] for band in document(SZ1)["bands"]}
    assert kinds == {"workday", "non_workday"}
