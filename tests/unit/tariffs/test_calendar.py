"""China's workday calendar: holidays, working weekends, per-lot overrides, and the fallback."""

from datetime import date

from parking.tariffs.calendar import WorkdayCalendar


def test_national_day_is_a_holiday():
    assert WorkdayCalendar().day_kind(date(2024, 10, 1)) == "holiday"


def test_saturday_worked_in_lieu_is_a_workday():
    assert WorkdayCalendar().day_kind(date(2024, 10, 12)) == "workday"


def test_ordinary_sunday_is_a_restday():
    assert WorkdayCalendar().day_kind(date(2024, 10, 13)) == "restday"


def test_a_lot_can_override_a_day():
    calendar = WorkdayCalendar(overrides={date(2024, 10, 13): "holiday", date(2024, 10, 1): "workday"})
    assert calendar.day_kind(date(2024, 10, 13)) == "holiday"
    assert calendar.day_kind(date(2024, 10, 1)) == "workday"


def test_years_the_library_does_not_know_fall_back_to_monday_to_friday():
    calendar = WorkdayCalendar()
    assert WorkdayCalendar.known(date(2099, 1, 5)) is False
    assert calendar.day_kind(date(2099, 1, 5)) == "workday"  # a Monday
    assert calendar.day_kind(date(2099, 1, 3)) == "restday"  # a Saturday
    assert calendar.day_kind(date(2099, 1, 1)) == "workday"  # no holidays are known that far ahead
