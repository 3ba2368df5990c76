"""Cutting a stay into segments: band occurrences, pieces and billing runs.

Times are whole minutes since the Unix epoch (UTC). A *band occurrence* is a stretch of time in one
band (a night from 20:00 to 07:30 is one occurrence even though it crosses midnight). A *piece* is a
stretch inside one occurrence, one local date and one 24 h window, marked as band time, opening-fee
time, or a hole (free benefit minutes). A *run* is a sequence of pieces billed as one series of units;
where runs start and which band prices them is the tariff's crossing rule.

Everything here is proportional to the number of days and bands crossed, never to the minutes.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parking.tariffs.calendar import WorkdayCalendar
from parking.tariffs.document import Band, Tariff

__all__ = ["Clock", "Occurrence", "Piece", "Run", "build_pieces", "build_runs", "occurrences"]

DAY = 1440


class Clock:
    """Local dates and wall-clock boundaries as epoch minutes, for one time zone and calendar."""

    def __init__(self, tz: ZoneInfo, calendar: WorkdayCalendar) -> None:
        self.tz = tz
        self.calendar = calendar
        self._walls: dict[tuple[date, int], int] = {}
        self._bands: dict[tuple[int, str], tuple[tuple[int, int, Band], ...]] = {}

    @staticmethod
    def minute(moment: datetime) -> int:
        return math.floor(moment.timestamp() / 60)

    def datetime(self, minute: int) -> datetime:
        return datetime.fromtimestamp(minute * 60, self.tz)

    def local_date(self, minute: int) -> date:
        return self.datetime(minute).date()

    def at(self, day: date, minute_of_day: int) -> int:
        """The epoch minute of a wall-clock time (minute_of_day may be 1440, the next midnight)."""
        if minute_of_day >= DAY:
            day, minute_of_day = day + timedelta(days=1), minute_of_day - DAY
        key = (day, minute_of_day)
        cached = self._walls.get(key)
        if cached is None:
            wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), self.tz)
            cached = self._walls[key] = self.minute(wall)
        return cached

    def bands(self, tariff: Tariff, day: date) -> tuple[tuple[int, int, Band], ...]:
        """The bands tiling a local date, by its day kind."""
        kind = self.calendar.day_kind(day)
        key = (id(tariff), kind)
        cached = self._bands.get(key)
        if cached is None:
            cached = self._bands[key] = tariff.bands_for(kind)
        return cached


@dataclass(frozen=True, slots=True)
class Occurrence:
    start: int
    end: int
    band: Band


def occurrences(tariff: Tariff, clock: Clock, start: int, end: int) -> list[Occurrence]:
    """The band occurrences covering [start, end), clipped to it, in order."""
    out: list[Occurrence] = []
    day = clock.local_date(start)
    while True:
        for a, b, band in clock.bands(tariff, day):
            lo, hi = max(clock.at(day, a), start), min(clock.at(day, b), end)
            if lo >= hi:
                continue
            if out and out[-1].band.id == band.id and out[-1].end == lo:
                out[-1] = Occurrence(out[-1].start, hi, band)
            else:
                out.append(Occurrence(lo, hi, band))
        day += timedelta(days=1)
        if clock.at(day, 0) >= end:
            return out


@dataclass(frozen=True, slots=True)
class Piece:
    """`kind` is "band", "opening" or "hole". `occ` indexes the occurrence list (band pieces)."""

    start: int
    end: int
    kind: str
    occ: int
    day: date
    window: int


@dataclass(frozen=True, slots=True)
class Run:
    """Pieces billed as one series of units. `pricing` is the occurrence whose band prices every
    unit, or None when each unit is priced by the band it starts in."""

    pieces: tuple[Piece, ...]
    pricing: int | None

    @property
    def start(self) -> int:
        return self.pieces[0].start

    @property
    def end(self) -> int:
        return self.pieces[-1].end


def _inside(intervals: list[tuple[int, int]], starts: list[int], minute: int) -> bool:
    i = bisect.bisect_right(starts, minute) - 1
    return i >= 0 and intervals[i][0] <= minute < intervals[i][1]


def build_pieces(
    occs: list[Occurrence],
    clock: Clock,
    start: int,
    end: int,
    *,
    origin: int,
    openings: list[tuple[int, int]],
    holes: list[tuple[int, int]],
) -> list[Piece]:
    """Cut [start, end) at occurrence, midnight, window, opening and hole boundaries."""
    points = {start, end}
    for occ in occs:
        points.update((occ.start, occ.end))
    for a, b in [*openings, *holes]:
        points.update((max(a, start), min(b, end)))
    day = clock.local_date(start)
    while (midnight := clock.at(day + timedelta(days=1), 0)) < end:
        points.add(midnight)
        day += timedelta(days=1)
    k = (start - origin) // DAY + 1
    while origin + k * DAY < end:
        points.add(origin + k * DAY)
        k += 1
    cuts = sorted(p for p in points if start <= p <= end)
    opening_starts = [a for a, _ in openings]
    hole_starts = [a for a, _ in holes]
    occ_starts = [o.start for o in occs]
    pieces: list[Piece] = []
    day, next_midnight = clock.local_date(start), None
    for a, b in zip(cuts, cuts[1:]):
        if next_midnight is None or a >= next_midnight:
            day = clock.local_date(a)
            next_midnight = clock.at(day + timedelta(days=1), 0)
        if _inside(openings, opening_starts, a):
            kind = "opening"
        elif _inside(holes, hole_starts, a):
            kind = "hole"
        else:
            kind = "band"
        occ = bisect.bisect_right(occ_starts, a) - 1
        pieces.append(Piece(a, b, kind, occ, day, (a - origin) // DAY))
    return pieces


def build_runs(tariff: Tariff, pieces: list[Piece]) -> list[Run]:
    """Group band pieces into runs by the tariff's crossing rule (see `Crossing`)."""
    segments: list[list[Piece]] = []
    for piece in pieces:
        if piece.kind != "band":
            segments.append([])
            continue
        if not segments or not segments[-1]:
            segments.append([piece])
            continue
        last = segments[-1][-1]
        if tariff.restart_after_24h and last.window != piece.window:
            segments.append([piece])
        else:
            segments[-1].append(piece)
    segments = [s for s in segments if s]
    rule = tariff.crossing.rule
    if rule == "unit_start_band":
        return [Run(tuple(s), None) for s in segments]
    if rule == "entry_band":
        return [Run(tuple(s), s[0].occ) for s in segments]
    split = [_split_by_occurrence(s) for s in segments]
    if rule == "short_at_earlier":
        split = _merge_short(split, tariff.crossing.minutes, tariff.crossing.scope)
    return [run for group in split for run in group]


def _split_by_occurrence(segment: list[Piece]) -> list[Run]:
    runs: list[list[Piece]] = []
    for piece in segment:
        if runs and runs[-1][-1].occ == piece.occ:
            runs[-1].append(piece)
        else:
            runs.append([piece])
    return [Run(tuple(r), r[0].occ) for r in runs]


def _merge_short(groups: list[list[Run]], minutes: int, scope: str) -> list[list[Run]]:
    """Bill a band portion shorter than `minutes` at the rate of the portion before it."""
    out: list[list[Run]] = []
    for g, group in enumerate(groups):
        merged = [group[0]]
        for i, run in enumerate(group[1:], start=1):
            is_tail = g == len(groups) - 1 and i == len(group) - 1
            short = run.end - run.start < minutes
            if short and (scope == "every" or is_tail):
                previous = merged[-1]
                merged[-1] = Run(previous.pieces + run.pieces, previous.pricing)
            else:
                merged.append(run)
        out.append(merged)
    return out
