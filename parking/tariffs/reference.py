"""A straightforward minute-by-minute evaluation of a tariff document: the tests' oracle.

`reference_total(tariff, stay, context)` labels every minute of the stay with its band, date, 24 h
window and whether it is free benefit time or opening-fee time, forms runs by scanning the labels,
walks units one at a time and applies caps unit by unit. It shares only the document types with the
engine, and is slow on purpose: the engine must agree with it while doing work proportional to
bands and days instead of minutes.

Defined for stays with an entry record and a context without earlier stays, coupons, payment or
pass; for anything else it returns None.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime

from parking.tariffs.document import Band, Benefit, Cap, Tariff
from parking.tariffs.stay import QuoteContext, Stay

__all__ = ["reference_total"]

DAY = 1440


def _minute(moment: datetime) -> int:
    return math.floor(moment.timestamp() / 60)


def _half_up(amount: int, percent: int) -> int:
    return (amount * percent * 2 + 100) // 200


class _Minutes:
    """Per-minute facts about local time, computed one minute at a time."""

    def __init__(self, tariff: Tariff, context: QuoteContext) -> None:
        self.tariff, self.context = tariff, context

    def local(self, m: int) -> datetime:
        return datetime.fromtimestamp(m * 60, self.context.tz)

    def day(self, m: int) -> date:
        return self.local(m).date()

    def band(self, m: int) -> Band:
        lt = self.local(m)
        kind = self.context.calendar.day_kind(lt.date())
        of_day = lt.hour * 60 + lt.minute
        for band in self.tariff.bands:
            if kind in band.day_kinds and any(a <= of_day < b for a, b in band.parts()):
                return band
        raise AssertionError("validated bands tile the day")


def reference_total(tariff: Tariff, stay: Stay, context: QuoteContext) -> int | None:
    if stay.entry is None or context.coupons or context.campaigns or context.paid_at or context.prior_stays or context.pass_until:
        return None
    E, X = _minute(stay.entry), _minute(stay.exit)
    benefits = [b for b in tariff.benefits if b.kind in stay.benefits]
    total = min(_total(tariff, stay, context, E, X, b) for b in [None, *benefits])
    if tariff.final_rounding == "yuan_half_up":
        total = (total + 50) // 100 * 100
    return total


def _total(tariff: Tariff, stay: Stay, context: QuoteContext, E: int, X: int, benefit: Benefit | None) -> int:
    mins = _Minutes(tariff, context)
    klass = tariff.classes[stay.vehicle_class]
    start = E
    if tariff.free is not None:
        if tariff.free.mode == "counted" and X - E <= tariff.free.minutes:
            return 0
        if tariff.free.mode == "deducted":
            start = max(start, min(E + tariff.free.minutes, X))
    holes: set[int] = set()
    if benefit is not None and benefit.free_minutes:
        if benefit.free_mode == "counted":
            if X - E <= benefit.free_minutes:
                return 0
        else:
            holes = _holes(tariff, stay, mins, benefit, E, X, context.benefit_minutes_used_today)
    while start < X and start in holes:
        start += 1
    if tariff.brackets is not None:
        billed = sum(1 for m in range(start, X) if m not in holes)
        total = tariff.brackets.price(billed) if billed > 0 else 0
    else:
        total = _billed(tariff, stay, mins, start, X, holes)
    if klass.factor_scope == "fee" and klass.factor_percent != 100:
        total = _half_up(total, klass.factor_percent)
    if benefit is not None and benefit.percent_off and total > 0:
        total -= _half_up(total, benefit.percent_off)
    return total


def _chargeable(tariff: Tariff, stay: Stay, band: Band) -> bool:
    return tariff.rate_for(band, stay.vehicle_class) is not None


def _holes(tariff: Tariff, stay: Stay, mins: _Minutes, benefit: Benefit, E: int, X: int, used: int) -> set[int]:
    holes: set[int] = set()
    if benefit.free_per != "day":
        left = benefit.free_minutes
        for m in range(E, min(E + DAY, X)):
            if left == 0:
                break
            if _chargeable(tariff, stay, mins.band(m)):
                holes.add(m)
                left -= 1
        return holes
    day, left = mins.day(E), max(0, benefit.free_minutes - used)
    for m in range(E, X):
        if mins.day(m) != day:
            day, left = mins.day(m), benefit.free_minutes
        if left > 0 and _chargeable(tariff, stay, mins.band(m)):
            holes.add(m)
            left -= 1
    return holes


def _billed(tariff: Tariff, stay: Stay, mins: _Minutes, B: int, X: int, holes: set[int]) -> int:
    if B >= X:
        return 0
    klass = tariff.classes[stay.vehicle_class]
    factor = klass.factor_percent if klass.factor_scope == "units" else 100
    opening: set[int] = set()
    opening_starts: list[int] = []
    if tariff.opening is not None:
        starts = [B] + ([B + k * DAY for k in range(1, (X - B - 1) // DAY + 1)] if tariff.restart_after_24h else [])
        for s in starts:
            opening_starts.append(s)
            opening.update(range(s, min(s + tariff.opening.minutes, X)))
    # label every minute
    bands: dict[int, Band] = {}
    occ: dict[int, tuple[str, int]] = {}
    current: tuple[str, int] | None = None
    for m in range(B, X):
        band = mins.band(m)
        if current is None or current[0] != band.id:
            current = (band.id, m)
        bands[m], occ[m] = band, current
    window = {m: (m - B) // DAY for m in range(B, X)}
    # base segments: band minutes between holes and opening time (and 24 h windows on restart)
    segments: list[list[int]] = []
    for m in range(B, X):
        if m in opening or m in holes:
            segments.append([])
            continue
        if segments and segments[-1] and not (tariff.restart_after_24h and window[segments[-1][-1]] != window[m]):
            segments[-1].append(m)
        else:
            segments.append([m])
    segments = [s for s in segments if s]
    runs = _runs(tariff, segments, occ)
    units: list[tuple[int, int, int, tuple[str, int] | None, Band | None]] = []
    for minutes, pricing in runs:
        units.extend(_units(tariff, stay, minutes, pricing, occ, bands, factor))
    for s in opening_starts:
        assert tariff.opening is not None
        units.append((s, 0, _half_up(tariff.opening.fen, factor), None, None))
    units.sort(key=lambda u: (u[0], u[1]))
    return _capped(tariff, mins, B, X, units, window)


def _runs(tariff: Tariff, segments: list[list[int]], occ: dict) -> list[tuple[list[int], tuple[str, int] | None]]:
    rule = tariff.crossing.rule
    if rule == "unit_start_band":
        return [(s, None) for s in segments]
    if rule == "entry_band":
        return [(s, occ[s[0]]) for s in segments]
    groups = []
    for segment in segments:
        group: list[list[int]] = []
        for m in segment:
            if group and occ[group[-1][-1]] == occ[m]:
                group[-1].append(m)
            else:
                group.append([m])
        groups.append(group)
    out = []
    for g, group in enumerate(groups):
        merged = [group[0]]
        for i, run in enumerate(group[1:], start=1):
            tail = g == len(groups) - 1 and i == len(group) - 1
            if (
                rule == "short_at_earlier"
                and len(run) < tariff.crossing.minutes
                and (tariff.crossing.scope == "every" or tail)
            ):
                merged[-1] = merged[-1] + run
            else:
                merged.append(run)
        out.extend((run, occ[run[0]]) for run in merged)
    return out


def _units(tariff, stay, minutes, pricing, occ, bands, factor):
    run_start, run_end = minutes[0], minutes[-1] + 1
    counters: dict[str, int] = defaultdict(int)
    t = run_start
    while t < run_end:
        where = pricing if pricing is not None else occ[t]
        band = bands[where[1]] if pricing is not None else bands[t]
        rate = tariff.rate_for(band, stay.vehicle_class)
        if rate is None:
            if pricing is not None:
                return
            t += 1
            continue
        step = rate.step_at(counters[rate.id])
        price = _half_up(step.fen, factor)
        if t + step.unit <= run_end:
            gross = price
        else:
            rest = run_end - t
            rule = tariff.part_unit
            free = rule.rounding == "down" or (rule.rounding == "threshold" and rest <= rule.free_minutes)
            gross = 0 if free else price
        yield (t, 1, gross, where, band)
        counters[rate.id] += step.unit
        t += step.unit


def _capped(tariff: Tariff, mins: _Minutes, B: int, X: int, units, window) -> int:
    caps: list[tuple[int, Cap]] = list(enumerate(tariff.caps))
    if tariff.full_day is not None and tariff.full_day.reading == "cap":
        caps.append((-1, Cap("window_24h", (tariff.full_day_fen(),))))
    first_day = mins.day(B)
    spent: dict[tuple, int] = defaultdict(int)
    per_window: dict[int, int] = defaultdict(int)
    for t, _, gross, where, band in units:
        day, win = mins.day(t), window[t]
        entries = []
        for i, cap in caps:
            if cap.per == "band":
                if band is None or where is None or where[0] != cap.band:
                    continue
                entries.append(((i, "band", where), cap.amount(0)))
                continue
            index = (day - first_day).days if cap.per == "calendar_day" else win
            key = (i, "all") if cap.cumulative else (i, day if cap.per == "calendar_day" else win)
            entries.append((key, cap.amount(index)))
        allowed = gross
        for key, amount in entries:
            allowed = min(allowed, max(0, amount - spent[key]))
        for key, _ in entries:
            spent[key] += allowed
        per_window[win] += allowed
    total = sum(per_window.values())
    if tariff.full_day is not None and tariff.full_day.reading == "flat":
        k = 0
        while B + (k + 1) * DAY <= X:
            total += tariff.full_day_fen() - per_window[k]
            k += 1
    return total
