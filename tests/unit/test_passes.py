"""What a pass entitles its plates to at a given moment: validity, daily windows, zones, late-renewal grace."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parking.passes import PassFact, Standing, best_standing, days_left, in_window, overlapping, standing

TZ = ZoneInfo("Asia/Shanghai")
GRACE = 3


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


def monthly(id: int = 1, *, zone: int | None = None, valid_from: datetime = at(6, 1), valid_until: datetime = at(7, 1)) -> PassFact:
    return PassFact(id, "monthly", "张三", 1, valid_from, valid_until, zone_id=zone)


def night(id: int = 7, *, valid_until: datetime = at(7, 1)) -> PassFact:
    return PassFact(id, "time_window", "李四", 1, at(6, 1), valid_until, window_start=time(19), window_end=time(7, 30))


def state_at(fact: PassFact, now: datetime, zones: frozenset[int] = frozenset({1}), grace: int = GRACE) -> str:
    return standing(fact, zones, now, TZ, grace).state


# -- validity and days left -------------------------------------------------------------------------


def test_a_pass_in_its_validity_is_valid_with_the_days_to_its_last_day():
    s = standing(monthly(), {1}, at(6, 15, 10), TZ, GRACE)
    assert (s.state, s.days_left, s.admits) == ("valid", 15, True)


def test_on_the_last_day_a_pass_is_valid_with_no_days_left():
    s = standing(monthly(), {1}, at(6, 30, 23, 59), TZ, GRACE)
    assert (s.state, s.days_left) == ("valid", 0)


def test_before_its_first_day_a_pass_is_not_yet_valid():
    s = standing(monthly(), {1}, at(5, 31, 23, 59), TZ, GRACE)
    assert (s.state, s.admits) == ("not_yet", False)


def test_a_pass_is_valid_from_its_first_moment():
    assert state_at(monthly(), at(6, 1)) == "valid"


def test_at_its_end_a_pass_enters_the_late_renewal_grace_on_its_first_overdue_day():
    s = standing(monthly(), {1}, at(7, 1), TZ, GRACE)
    assert (s.state, s.days_overdue, s.days_left, s.admits) == ("grace", 1, 0, True)


def test_the_grace_lasts_the_configured_number_of_days():
    s = standing(monthly(), {1}, at(7, 3, 23, 59), TZ, GRACE)
    assert (s.state, s.days_overdue) == ("grace", 3)


def test_beyond_the_grace_a_pass_is_expired():
    s = standing(monthly(), {1}, at(7, 4), TZ, GRACE)
    assert (s.state, s.days_overdue, s.admits) == ("expired", 4, False)


def test_without_grace_a_pass_is_expired_at_its_end():
    assert state_at(monthly(), at(7, 1), grace=0) == "expired"


def test_days_left_counts_calendar_days_in_the_lots_time_zone():
    # 2024-06-29 17:00 UTC is already 06-30 01:00 in Shanghai: the last day of a pass ending 07-01 00:00
    assert days_left(at(7, 1), datetime(2024, 6, 29, 17, tzinfo=timezone.utc), TZ) == 0


def test_a_pass_ending_during_a_day_has_that_day_as_its_last():
    assert days_left(at(6, 30, 18), at(6, 29, 20), TZ) == 1


# -- zones ------------------------------------------------------------------------------------------


def test_a_pass_for_a_zone_covers_that_zone():
    assert state_at(monthly(zone=2), at(6, 15), zones=frozenset({1, 2})) == "valid"


def test_a_pass_for_another_zone_does_not_cover_this_one():
    s = standing(monthly(zone=2), {1}, at(6, 15), TZ, GRACE)
    assert (s.state, s.admits) == ("other_zone", False)


def test_a_pass_without_a_zone_covers_every_zone_of_its_lot():
    assert state_at(monthly(zone=None), at(6, 15), zones=frozenset({5})) == "valid"


# -- daily windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "inside"),
    [
        (19, 0, True),    # the window opens
        (23, 59, True),   # before midnight
        (0, 0, True),     # after midnight
        (7, 29, True),
        (7, 30, False),   # the window closes
        (12, 0, False),
        (18, 59, False),
    ],
)
def test_a_window_crossing_midnight_covers_both_sides_of_midnight(hour, minute, inside):
    assert in_window(time(19), time(7, 30), time(hour, minute)) is inside


@pytest.mark.parametrize(("at_", "inside"), [(time(8), True), (time(17, 59), True), (time(18), False), (time(7, 59), False)])
def test_a_daytime_window_is_start_inclusive_end_exclusive(at_, inside):
    assert in_window(time(8), time(18), at_) is inside


def test_a_window_that_starts_where_it_ends_covers_the_whole_day():
    assert in_window(time(0), time(0), time(12)) is True


def test_a_time_window_pass_is_valid_inside_its_window():
    s = standing(night(), {1}, at(6, 15, 21), TZ, GRACE)
    assert (s.state, s.days_left) == ("valid", 15)


def test_a_time_window_pass_is_valid_after_midnight_inside_its_window():
    assert state_at(night(), at(6, 16, 6)) == "valid"


def test_a_time_window_pass_outside_its_window_does_not_admit():
    s = standing(night(), {1}, at(6, 15, 12), TZ, GRACE)
    assert (s.state, s.days_left, s.admits) == ("outside_window", 15, False)


def test_the_window_is_read_in_the_lots_time_zone():
    # 12:00 UTC is 20:00 in Shanghai, inside 19:00–07:30
    assert state_at(night(), datetime(2024, 6, 15, 12, tzinfo=timezone.utc)) == "valid"


def test_the_late_renewal_grace_does_not_open_a_time_window_pass_outside_its_window():
    s = standing(night(valid_until=at(6, 14)), {1}, at(6, 15, 12), TZ, GRACE)
    assert (s.state, s.days_overdue, s.admits) == ("outside_window", 2, False)


def test_a_time_window_pass_in_its_grace_still_admits_inside_its_window():
    s = standing(night(valid_until=at(6, 14)), {1}, at(6, 15, 21), TZ, GRACE)
    assert (s.state, s.days_overdue) == ("grace", 2)


# -- the best of several passes ---------------------------------------------------------------------


def test_a_plate_without_passes_has_no_standing():
    assert best_standing([], {1}, at(6, 15), TZ, GRACE) is None


def test_a_valid_pass_is_preferred_to_one_in_its_grace():
    lapsed = monthly(1, valid_from=at(5, 1), valid_until=at(6, 14))
    current = monthly(2, valid_from=at(6, 14), valid_until=at(6, 20))
    best = best_standing([lapsed, current], {1}, at(6, 15), TZ, GRACE)
    assert (best.fact.id, best.state) == (2, "valid")


def test_of_two_valid_passes_the_longer_lasting_is_preferred():
    short = monthly(1, valid_until=at(6, 20))
    long = monthly(2, valid_until=at(9, 1))
    assert best_standing([short, long], {1}, at(6, 15), TZ, GRACE).fact.id == 2


def test_of_two_equal_passes_the_lower_id_is_preferred():
    assert best_standing([monthly(5), monthly(3)], {1}, at(6, 15), TZ, GRACE).fact.id == 3


def test_a_pass_outside_its_window_is_reported_before_an_expired_one():
    expired = monthly(1, valid_from=at(4, 1), valid_until=at(5, 1))
    best = best_standing([expired, night()], {1}, at(6, 15, 12), TZ, GRACE)
    assert (best.fact.id, best.state) == (7, "outside_window")


# -- overlapping validity ---------------------------------------------------------------------------


def test_passes_of_one_zone_with_overlapping_validity_overlap():
    assert overlapping(monthly(1, zone=1), monthly(2, zone=1, valid_from=at(6, 30), valid_until=at(7, 31))) is True


def test_a_pass_starting_when_the_other_ends_does_not_overlap():
    assert overlapping(monthly(1), monthly(2, valid_from=at(7, 1), valid_until=at(8, 1))) is False


def test_passes_for_different_zones_do_not_overlap():
    assert overlapping(monthly(1, zone=1), monthly(2, zone=2)) is False


def test_a_pass_for_every_zone_overlaps_a_pass_for_one_zone():
    assert overlapping(monthly(1, zone=None), monthly(2, zone=2)) is True


# -- the cached form --------------------------------------------------------------------------------


def test_a_pass_survives_its_json_form():
    fact = PassFact(9, "enterprise", "某公司", 3, at(6, 1), at(7, 1), zone_id=2, window_start=time(8), window_end=time(18))
    assert PassFact.from_json(fact.to_json()) == fact


def test_a_pass_without_window_or_zone_survives_its_json_form():
    assert PassFact.from_json(monthly().to_json()) == monthly()


# -- properties -------------------------------------------------------------------------------------

times = st.times().map(lambda t: t.replace(microsecond=0))


@given(start=times, end=times, moment=times)
def test_a_window_and_its_complement_partition_the_day(start, end, moment):
    if start == end:  # a window of the whole day has no complement
        return
    assert in_window(start, end, moment) != in_window(end, start, moment)


moments = st.integers(0, 120 * 24 * 60).map(lambda m: at(5, 1) + timedelta(minutes=m))


@given(moment=moments, grace=st.integers(0, 10))
def test_a_pass_admits_only_inside_its_validity_or_grace(moment, grace):
    s = standing(monthly(), {1}, moment, TZ, grace)
    assert s.admits == (at(6, 1) <= moment < at(7, 1) + timedelta(days=grace))


@given(moment=moments)
def test_a_valid_pass_has_no_negative_days_left(moment):
    s = standing(monthly(), {1}, moment, TZ, GRACE)
    assert s.state != "valid" or 0 <= s.days_left <= 30


@given(moment=moments, window=st.booleans())
def test_the_best_standing_admits_whenever_some_pass_admits(moment, window):
    facts = [monthly(1, valid_until=at(6, 10)), night(2) if window else monthly(2, zone=2), monthly(3, valid_from=at(6, 20))]
    best = best_standing(facts, {1}, moment, TZ, GRACE)
    assert isinstance(best, Standing)
    assert best.admits == any(standing(f, {1}, moment, TZ, GRACE).admits for f in facts)


@given(a_from=moments, a_days=st.integers(1, 60), b_from=moments, b_days=st.integers(1, 60),
       a_zone=st.sampled_from([None, 1, 2]), b_zone=st.sampled_from([None, 1, 2]))
def test_overlap_is_symmetric(a_from, a_days, b_from, b_days, a_zone, b_zone):
    a = monthly(1, zone=a_zone, valid_from=a_from, valid_until=a_from + timedelta(days=a_days))
    b = monthly(2, zone=b_zone, valid_from=b_from, valid_until=b_from + timedelta(days=b_days))
    assert overlapping(a, b) == overlapping(b, a)
