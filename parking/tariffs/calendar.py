"""China's workday calendar: statutory holidays and the weekends adjusted into working days.

`WorkdayCalendar.day_kind(date)` says whether a date is a `workday`, a `restday` (an ordinary
weekend) or a `holiday` (a statutory holiday, including the days bridged into it). It is built on the
maintained `chinese_calendar` library; `overrides` lets a lot change single days (kept in SQL).

Outside the years the library knows (it raises for them), the calendar falls back to Monday–Friday
workdays and Saturday–Sunday restdays, with no holidays; `known(date)` tells which case applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

import chinese_calendar

__all__ = ["DayKind", "WorkdayCalendar"]

DayKind = Literal["workday", "restday", "holiday"]
_KINDS = ("workday", "restday", "holiday")


class WorkdayCalendar:
    """Day kinds for China, with per-lot overrides. Answers are cached per date."""

    def __init__(self, overrides: Mapping[date, DayKind] | None = None) -> None:
        self.overrides: dict[date, DayKind] = dict(overrides or {})
        for day, kind in self.overrides.items():
            if kind not in _KINDS:
                raise ValueError(f"overrides[{day.isoformat()}]: must be one of {_KINDS}, not {kind!r}")
        self._cache: dict[date, DayKind] = {}

    def day_kind(self, day: date) -> DayKind:
        kind = self._cache.get(day)
        if kind is None:
            kind = self.overrides.get(day) or self._library_kind(day)
            self._cache[day] = kind
        return kind

    def is_workday(self, day: date) -> bool:
        return self.day_kind(day) == "workday"

    @staticmethod
    def known(day: date) -> bool:
        """Whether the library covers this date (otherwise the Monday–Friday fallback applies)."""
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    @staticmethod
    def _library_kind(day: date) -> DayKind:
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return "workday" if day.weekday() < 5 else "restday"
        if not on_holiday:
            return "workday"
        return "holiday" if name is not None else "restday"
