"""Days of a lot's calendar in SQL: the local date of a stored UTC moment, and a period's bounds.

Reports count money by the day it happened where the lot is (Asia/Shanghai by default), so a payment at
23:30 UTC belongs to the next day in Shenzhen. ``local_date(column, segment)`` is that date as an SQL
expression the database groups by:

- PostgreSQL: ``CAST((column AT TIME ZONE 'Asia/Shanghai') AS DATE)``, exact across daylight saving.
- SQLite (no time zones): ``date(column, '+28800 seconds')``, exact within a ``Segment`` of the period
  over which the zone's offset does not change; ``segments`` cuts a period at every offset change, so a
  zone with daylight saving is queried one segment at a time (China has had none since 1991: one).

The zone name and offset are written into the SQL as literals (a name is checked against the IANA
spelling first), because PostgreSQL refuses a GROUP BY whose expression differs from the SELECT's only
by its bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]{1,64}$")
_STEP = timedelta(minutes=15)  # offset changes happen on a quarter hour in every zone of the database


@dataclass(frozen=True)
class Segment:
    """Moments ``start`` (included) to ``end`` (excluded), UTC, over which ``tz`` keeps one offset."""

    start: datetime
    end: datetime
    tz: str
    offset_seconds: int


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def period_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC moments the days ``first`` to ``last`` (both included) begin and end in ``tz``."""
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def segments(first: date, last: date, tz: ZoneInfo, dialect: str) -> list[Segment]:
    """The days ``first`` to ``last`` of ``tz`` as UTC segments of one offset each (one for PostgreSQL)."""
    if not _ZONE_NAME.match(tz.key):
        raise ValueError(f"time zone {tz.key!r} is not an IANA zone name")
    start, end = period_bounds(first, last, tz)
    if dialect == "postgresql":
        return [Segment(start, end, tz.key, 0)]
    found: list[Segment] = []
    cut, offset = start, _offset(start, tz)
    moment = start
    while moment < end:
        moment = min(moment + _STEP, end)
        now_offset = _offset(moment, tz) if moment < end else offset
        if now_offset != offset:
            found.append(Segment(cut, moment, tz.key, offset))
            cut, offset = moment, now_offset
    found.append(Segment(cut, end, tz.key, offset))
    return found


def _offset(moment: datetime, tz: ZoneInfo) -> int:
    delta = moment.astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


class local_date(FunctionElement[date]):  # noqa: N801  (an SQL function, named like one)
    """The date of ``column`` (a stored UTC moment) in a segment's zone."""

    type = Date()
    inherit_cache = True
    name = "local_date"

    def __init__(self, column: ColumnElement[Any], segment: Segment) -> None:
        # The zone and offset travel as literal text, so they are part of the statement's cache key.
        super().__init__(column, literal_column(f"'{segment.tz}'"), literal_column(f"'{segment.offset_seconds:+d} seconds'"))


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: Any, **kw: Any) -> str:
    column, zone, _ = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(({column} AT TIME ZONE {zone}) AS DATE)"


@compiles(local_date)
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    column, _, offset = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({column}, {offset})"


def as_date(value: Any) -> date:
    """A local date as the database returned it (SQLite gives ``YYYY-MM-DD`` text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
