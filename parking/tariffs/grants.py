"""Free benefit minutes as holes in the billed time, and where billing starts.

A benefit's free minutes are minutes of *chargeable* time (time in a band that charges the vehicle's
class), taken from the start of the stay, or from each local midnight for a daily grant, and never
more than 24 h after the grant begins. A hole at the start of billing moves the start; holes later in
the stay are skipped by billing and break runs of units like a free band does.
"""

from __future__ import annotations

from datetime import timedelta

from parking.tariffs.document import Benefit, Tariff
from parking.tariffs.timeline import DAY, Clock, occurrences

__all__ = ["benefit_holes", "billing_start", "grants"]


def grants(clock: Clock, benefit: Benefit, start: int, end: int, used_today: int, prior_today: bool) -> list[tuple[int, int, int]]:
    """(from, minutes, until) for each grant of free minutes within [start, end)."""
    if benefit.free_per == "first_stay_of_day" and prior_today:
        return []
    if benefit.free_per != "day":
        return [(start, benefit.free_minutes, min(start + DAY, end))]
    out = []
    day = clock.local_date(start)
    begin, minutes = start, max(0, benefit.free_minutes - used_today)
    while begin < end:
        until = min(clock.at(day + timedelta(days=1), 0), end)
        out.append((begin, minutes, until))
        day += timedelta(days=1)
        begin, minutes = until, benefit.free_minutes
    return out


def benefit_holes(
    tariff: Tariff, vehicle_class: str, clock: Clock, benefit: Benefit, start: int, end: int, used_today: int, prior_today: bool
) -> list[tuple[int, int]]:
    holes: list[tuple[int, int]] = []
    for begin, minutes, until in grants(clock, benefit, start, end, used_today, prior_today):
        for occ in occurrences(tariff, clock, begin, until) if begin < until else []:
            if minutes <= 0:
                break
            if tariff.rate_for(occ.band, vehicle_class) is None:
                continue
            take = min(minutes, occ.end - occ.start)
            if holes and holes[-1][1] == occ.start:
                holes[-1] = (holes[-1][0], occ.start + take)
            else:
                holes.append((occ.start, occ.start + take))
            minutes -= take
    return holes


def billing_start(start: int, holes: list[tuple[int, int]]) -> tuple[int, list[tuple[int, int]]]:
    """The first minute at or after `start` outside the holes, and the holes after it."""
    for a, b in holes:
        if a <= start < b:
            start = b
    return start, [(max(a, start), b) for a, b in holes if b > start]
