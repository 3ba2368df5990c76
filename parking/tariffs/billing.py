"""Billing one interval of a stay: opening fees, units run by run, caps, "a full day counts as N hours".

`bill` walks the pieces of `parking.tariffs.timeline` and prices units in batches: within one piece
and one ladder step all units cost the same, so a batch is counted with arithmetic, not walked. The
cost is proportional to pieces and ladder steps, not to minutes or units.

A unit's position on its ladder is the minutes already billed on that rate within the run; a unit
cut short by the end of its run is charged by the tariff's part-unit rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from parking.tariffs.caps import Ledger
from parking.tariffs.document import Band, Rate, Tariff
from parking.tariffs.timeline import DAY, Clock, Occurrence, Run, build_pieces, build_runs, occurrences

__all__ = ["Billing", "Charge", "bill", "half_up_percent", "opening_intervals", "part_unit_fen"]


@dataclass(frozen=True, slots=True)
class Charge:
    """A batch of units (or an opening fee when `rate` is None) and what it cost before/after caps."""

    start: int
    end: int
    units: int
    gross: int
    charged: int
    band: Band | None
    rate: Rate | None
    step: int
    window: int
    run: int


@dataclass(frozen=True, slots=True)
class Billing:
    charges: tuple[Charge, ...]
    ledger: Ledger
    flat_days: tuple[tuple[int, int], ...]  # (window start, adjustment fen) for full_day "flat"

    @property
    def total(self) -> int:
        return sum(c.charged for c in self.charges) + sum(adj for _, adj in self.flat_days)


def half_up_percent(amount: int, percent: int) -> int:
    """amount × percent / 100, rounded half up to the fen, in integers."""
    return (amount * percent * 2 + 100) // 200


def part_unit_fen(tariff: Tariff, price: int, remainder: int) -> int:
    rule = tariff.part_unit
    if rule.rounding == "down":
        return 0
    if rule.rounding == "threshold" and remainder <= rule.free_minutes:
        return 0
    return price


def opening_intervals(tariff: Tariff, start: int, end: int, origin: int) -> list[tuple[int, int]]:
    if tariff.opening is None or start >= end:
        return []
    starts = [start]
    if tariff.restart_after_24h:
        k = (start - origin) // DAY + 1
        while origin + k * DAY < end:
            starts.append(origin + k * DAY)
            k += 1
    return [(s, min(s + tariff.opening.minutes, end)) for s in starts]


def bill(
    tariff: Tariff,
    vehicle_class: str,
    clock: Clock,
    start: int,
    end: int,
    *,
    origin: int,
    ledger: Ledger,
    holes: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> Billing:
    """Bill [start, end) for a vehicle class; 24 h windows count from `origin`."""
    if start >= end:
        return Billing((), ledger, ())
    klass = tariff.classes[vehicle_class]
    unit_factor = klass.factor_percent if klass.factor_scope == "units" else 100
    openings = opening_intervals(tariff, start, end, origin)
    occs = occurrences(tariff, clock, start, end)
    pieces = build_pieces(occs, clock, start, end, origin=origin, openings=openings, holes=list(holes))
    runs = build_runs(tariff, pieces)
    events: list[tuple[int, int, object]] = []
    opening_starts = {a for a, _ in openings}
    for piece in pieces:
        if piece.kind == "opening" and piece.start in opening_starts:
            events.append((piece.start, 0, piece))
    events.extend((run.start, 1, run) for run in runs)
    events.sort(key=lambda e: (e[0], e[1]))
    charges: list[Charge] = []
    for n, (_, what, item) in enumerate(events):
        if what == 0:
            assert tariff.opening is not None
            gross = half_up_percent(tariff.opening.fen, unit_factor)
            stop = next(b for a, b in openings if a == item.start)  # type: ignore[attr-defined]
            charged = ledger.take(gross, day=item.day, window=item.window, occurrence=None)  # type: ignore[attr-defined]
            charges.append(Charge(item.start, stop, 1, gross, charged, None, None, 0, item.window, n))  # type: ignore[attr-defined]
        else:
            charges.extend(_bill_run(tariff, vehicle_class, item, occs, ledger, unit_factor, n))  # type: ignore[arg-type]
    flat = _flat_days(tariff, charges, start, end, origin)
    return Billing(tuple(charges), ledger, flat)


def _bill_run(
    tariff: Tariff, vehicle_class: str, run: Run, occs: list[Occurrence], ledger: Ledger, factor: int, number: int
) -> list[Charge]:
    out: list[Charge] = []
    counters: dict[str, int] = {}
    t, end = run.start, run.end
    for piece in run.pieces:
        occ_index = run.pricing if run.pricing is not None else piece.occ
        occ = occs[occ_index]
        rate = tariff.rate_for(occ.band, vehicle_class)
        if rate is None:
            if run.pricing is not None:
                return out
            t = max(t, piece.end)
            continue
        while t < piece.end:
            counter = counters.get(rate.id, 0)
            index = next(i for i, s in enumerate(rate.steps) if s.up_to is None or counter < s.up_to)
            step = rate.steps[index]
            unit = step.unit
            n = -(-(piece.end - t) // unit)
            if step.up_to is not None:
                n = min(n, -(-(step.up_to - counter) // unit))
            full = min(n, (end - t) // unit)
            price = half_up_percent(step.fen, factor)
            gross = full * price
            if n > full:
                gross += part_unit_fen(tariff, price, end - (t + full * unit))
            charged = ledger.take(gross, day=piece.day, window=piece.window, occurrence=(occ.band.id, occ.start))
            stop = min(t + n * unit, end)
            out.append(Charge(t, stop, n, gross, charged, occ.band, rate, index, piece.window, number))
            counters[rate.id] = counter + n * unit
            t += n * unit
    return out


def _flat_days(tariff: Tariff, charges: list[Charge], start: int, end: int, origin: int) -> tuple[tuple[int, int], ...]:
    """For "a full day counts as N hours" read as flat: each complete 24 h window costs exactly that."""
    if tariff.full_day is None or tariff.full_day.reading != "flat":
        return ()
    amount = tariff.full_day_fen()
    out = []
    k = -(-(start - origin) // DAY)
    while origin + (k + 1) * DAY <= end:
        window_total = sum(c.charged for c in charges if c.window == k)
        out.append((origin + k * DAY, amount - window_total))
        k += 1
    return tuple(out)
