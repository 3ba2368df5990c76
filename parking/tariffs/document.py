"""The tariff document as typed, immutable values: what a lot charges, with lookups but no billing.

A `Tariff` is built from JSON by `parking.tariffs.schema.load_tariff`, which validates it first; the
engine (`parking.tariffs.engine`) and the published text (`parking.tariffs.describe`) read these
values. Times of day are minutes after local midnight; durations are minutes; money is integer fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BENEFIT_KINDS",
    "DAY_KINDS",
    "DAY_SETS",
    "FREE",
    "VEHICLE_CLASSES",
    "Band",
    "Benefit",
    "Bracket",
    "Brackets",
    "Cap",
    "CouponPolicy",
    "Crossing",
    "FreePeriod",
    "FullDay",
    "NoEntryRecord",
    "Opening",
    "PartUnit",
    "PassOffer",
    "Rate",
    "Step",
    "Tariff",
    "Text",
    "VehicleClass",
]

DAY_KINDS = ("workday", "restday", "holiday")
# The day sets a band may name, and the day kinds each one stands for.
DAY_SETS: Mapping[str, frozenset[str]] = {
    "workday": frozenset({"workday"}),
    "restday": frozenset({"restday"}),
    "holiday": frozenset({"holiday"}),
    "non_workday": frozenset({"restday", "holiday"}),
    "every_day": frozenset(DAY_KINDS),
}
# Vehicle classes a tariff may price. `oversize` is a vehicle of 12 m or more.
VEHICLE_CLASSES = ("small", "large", "oversize", "motorcycle")
# What a stay may claim a benefit for.
BENEFIT_KINDS = ("new_energy", "disabled_driver")
# The rate name a band uses to say it charges nothing.
FREE = "free"


@dataclass(frozen=True, slots=True)
class Text:
    """A user-facing text, Chinese first."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of a unit ladder: units of `unit` minutes at `fen` each, while the ladder's counter
    (minutes already billed on this rate in the current run) is below `up_to`; `None` means for ever."""

    up_to: int | None
    unit: int
    fen: int


@dataclass(frozen=True, slots=True)
class Rate:
    """A named unit ladder. Steps are in order; the last one has `up_to=None`."""

    id: str
    steps: tuple[Step, ...]

    def step_at(self, counter: int) -> Step:
        for step in self.steps:
            if step.up_to is None or counter < step.up_to:
                return step
        return self.steps[-1]

    @property
    def first_unit_fen(self) -> int:
        return self.steps[0].fen


@dataclass(frozen=True, slots=True)
class Band:
    """A time-of-day band on some kinds of day. `start == end` covers the whole day; `end < start`
    wraps past midnight (both parts belong to the calendar date they fall on)."""

    id: str
    name: Text
    days: str
    start: int
    end: int
    rate: str

    @property
    def day_kinds(self) -> frozenset[str]:
        return DAY_SETS[self.days]

    def parts(self) -> tuple[tuple[int, int], ...]:
        """The band's minutes of the day as half-open intervals inside [0, 1440)."""
        if self.start == self.end:
            return ((0, 1440),)
        if self.start < self.end:
            return ((self.start, self.end),)
        parts = [(self.start, 1440)]
        if self.end > 0:
            parts.insert(0, (0, self.end))
        return tuple(parts)


@dataclass(frozen=True, slots=True)
class PartUnit:
    """What a unit cut short by the end of a run costs: `up` a whole unit, `down` nothing,
    `threshold` nothing when the remainder is at most `free_minutes`, else a whole unit."""

    rounding: str = "up"
    free_minutes: int = 0


@dataclass(frozen=True, slots=True)
class FreePeriod:
    """`counted`: a stay of at most `minutes` is free, a longer one pays from entry.
    `deducted`: the first `minutes` are never billed. `per`: every stay, or the first stay of a day."""

    minutes: int
    mode: str = "counted"
    per: str = "stay"


@dataclass(frozen=True, slots=True)
class Crossing:
    """How a stay that crosses band boundaries is billed.

    - `split`: each band is billed on its own, units restarting at each boundary (sum per band);
    - `entry_band`: the whole stay at the rate of the band it starts in;
    - `unit_start_band`: one run of units, each priced by the band it starts in;
    - `short_at_earlier`: like `split`, but a band portion shorter than `minutes` is billed at the
      rate before the boundary; `scope` says whether only the final portion (`tail`) or `every`
      portion after a boundary gets that treatment.
    """

    rule: str = "split"
    minutes: int = 0
    scope: str = "tail"


@dataclass(frozen=True, slots=True)
class Opening:
    """The first `minutes` of billing cost `fen` flat, whatever the band (a per-stay fee)."""

    minutes: int
    fen: int


@dataclass(frozen=True, slots=True)
class Cap:
    """A maximum charge. `per`: `calendar_day`, `window_24h` (24 h from the start of billing) or
    `band` (each occurrence of band `band`, e.g. one night). `fen[i]` is the cap of the i-th day or
    window, the last repeating (rising caps). `cumulative`: the caps bound the running total through
    that day instead of each day alone. `shared`: stays of the same vehicle within the period count
    against the same cap."""

    per: str
    fen: tuple[int, ...]
    band: str | None = None
    cumulative: bool = False
    shared: bool = False

    def amount(self, index: int) -> int:
        return self.fen[min(index, len(self.fen) - 1)]


@dataclass(frozen=True, slots=True)
class FullDay:
    """"A full 24 h counts as `hours` hours of band `band`". `cap`: no 24 h window costs more;
    `flat`: each complete 24 h window costs exactly that, a part window is billed normally."""

    hours: int
    band: str
    reading: str = "cap"


@dataclass(frozen=True, slots=True)
class Bracket:
    up_to: int
    fen: int


@dataclass(frozen=True, slots=True)
class Brackets:
    """Duration brackets: a stay costs the first bracket it fits in; each whole `period` costs
    `per_period_fen` and the remainder is priced by the same brackets.

    `overstay` reads "leaving later than the grace period after paying charges the extra time from
    the first unit, without a new free period" for brackets:

    - `restart`: the extra time is priced by the brackets again, a free bracket costing what the
      first bracket that charges costs;
    - `whole_stay_cap`: the same, but what was paid plus the extra never exceeds the fee of the
      whole stay had nothing been paid.
    """

    period: int
    items: tuple[Bracket, ...]
    per_period_fen: int
    overstay: str = "restart"

    def price(self, minutes: int) -> int:
        whole, rest = divmod(minutes, self.period)
        amount = whole * self.per_period_fen
        if rest:
            amount += next(b.fen for b in self.items if rest <= b.up_to)
        return amount

    @property
    def first_charged_fen(self) -> int:
        """The price of the first bracket that charges (0 when every bracket is free)."""
        return next((b.fen for b in self.items if b.fen > 0), 0)


@dataclass(frozen=True, slots=True)
class VehicleClass:
    """How a vehicle class is priced: band rates swapped for its own (`rates`: base → own rate id),
    and a factor in percent applied to the whole fee (`fee`) or to each unit before caps (`units`)."""

    name: str
    rates: Mapping[str, str] = field(default_factory=dict)
    factor_percent: int = 100
    factor_scope: str = "fee"

    def rate_id(self, base: str) -> str:
        return self.rates.get(base, base)


@dataclass(frozen=True, slots=True)
class Benefit:
    """A benefit a stay may claim (`kind`: new-energy vehicle, disabled driver): free minutes of
    chargeable time and/or a percentage off the fee. Free minutes are `deducted` (never billed) or
    `counted` (a stay within them is free), granted per `stay`, per calendar `day`, or on the
    `first_stay_of_day` only; a grant is used up within 24 h of where it begins (see
    `parking.tariffs.grants`)."""

    id: str
    kind: str
    name: Text
    free_minutes: int = 0
    free_mode: str = "deducted"
    free_per: str = "stay"
    percent_off: int = 0
    excludes_pass_holders: bool = False


@dataclass(frozen=True, slots=True)
class CouponPolicy:
    """Merchant coupons accepted on one stay and their limits (0 = no limit)."""

    kinds: frozenset[str]
    max_count: int = 0
    max_minutes: int = 0
    max_fen: int = 0


@dataclass(frozen=True, slots=True)
class NoEntryRecord:
    """A car leaving without an entry record pays `fen` flat (`flat`) or goes to staff (`staff`)."""

    action: str
    fen: int = 0


@dataclass(frozen=True, slots=True)
class PassOffer:
    """A pass sold at the lot, for the published text only."""

    name: Text
    fen: int
    period: str = "month"


@dataclass(frozen=True, slots=True)
class Tariff:
    """A validated tariff document. `document` keeps the JSON it was loaded from."""

    id: str
    name: Text
    time_zone: str
    rates: Mapping[str, Rate]
    bands: tuple[Band, ...]
    classes: Mapping[str, VehicleClass]
    part_unit: PartUnit = PartUnit()
    crossing: Crossing = Crossing()
    brackets: Brackets | None = None
    free: FreePeriod | None = None
    opening: Opening | None = None
    caps: tuple[Cap, ...] = ()
    full_day: FullDay | None = None
    restart_after_24h: bool = False
    benefits: tuple[Benefit, ...] = ()
    grace_minutes: int = 15
    reentry_minutes: int = 0
    no_entry_record: NoEntryRecord | None = None
    coupons: CouponPolicy | None = None
    final_rounding: str = "fen"
    passes: tuple[PassOffer, ...] = ()
    note: Text | None = None
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def band(self, band_id: str) -> Band:
        return next(b for b in self.bands if b.id == band_id)

    def rate_for(self, band: Band, vehicle_class: str) -> Rate | None:
        """The rate a vehicle class pays in a band, or None where the band is free."""
        if band.rate == FREE:
            return None
        rate_id = self.classes[vehicle_class].rate_id(band.rate)
        return None if rate_id == FREE else self.rates[rate_id]

    def bands_for(self, day_kind: str) -> tuple[tuple[int, int, Band], ...]:
        """The (from, to, band) intervals tiling a day of this kind, in order."""
        parts = [(a, b, band) for band in self.bands if day_kind in band.day_kinds for a, b in band.parts()]
        return tuple(sorted(parts, key=lambda p: p[0]))

    def full_day_fen(self) -> int:
        """The price of the `full_day` hours in their band's rate, in whole units."""
        assert self.full_day is not None
        rate = self.rates[self.band(self.full_day.band).rate]
        minutes, counter, amount = self.full_day.hours * 60, 0, 0
        while counter < minutes:
            step = rate.step_at(counter)
            amount += step.fen
            counter += step.unit
        return amount
