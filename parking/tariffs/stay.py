"""The inputs and output of a quote: `Stay`, `QuoteContext` (with `PriorStay`, `Coupon`) and `Quote`.

All datetimes are aware; the engine bills whole minutes, flooring entry, exit and payment times to
the minute. Money is integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from parking.tariffs.calendar import WorkdayCalendar

__all__ = ["Coupon", "PriorStay", "Quote", "QuoteContext", "QuoteLine", "Stay", "fen_to_yuan"]


@dataclass(frozen=True, slots=True)
class Stay:
    """A vehicle's stay. `entry=None` means the exit camera found no entry record.
    `benefits` are the benefit kinds the vehicle may claim (`new_energy`, `disabled_driver`)."""

    entry: datetime | None
    exit: datetime
    vehicle_class: str = "small"
    benefits: frozenset[str] = frozenset()
    plate: str = ""


@dataclass(frozen=True, slots=True)
class PriorStay:
    """An earlier stay of the same vehicle and what it paid, for shared caps, once-a-day free periods
    and re-entry."""

    entry: datetime
    exit: datetime
    paid_fen: int


@dataclass(frozen=True, slots=True)
class Coupon:
    """A merchant coupon: `minutes` off the stay, `amount` fen off, `percent` off, or `free`."""

    kind: str
    value: int = 0
    merchant: str = ""


@dataclass(frozen=True, slots=True)
class QuoteContext:
    """Everything a quote depends on besides the tariff and the stay.

    - `prior_stays`: earlier stays of the vehicle (shared caps, once-a-day free time, re-entry);
    - `paid_at`: the stay was paid at this time; leaving within the tariff's grace period costs
      nothing more, leaving later pays the extra time from the first unit, with no new free period;
    - `pass_until`: the vehicle's pass ends during the stay; the stay is free until then;
    - `benefit_minutes_used_today`: free benefit minutes already used today by earlier stays;
    - `coupons`: merchant coupons handed in for the stay (`parking.tariffs.coupons`), within the tariff's
      `coupons` policy;
    - `campaigns`: the lot's own offers for the stay (公益免费停车), each a `Coupon` named by the campaign.
      The lot decided them, so the tariff's coupon policy neither limits nor refuses them; they apply
      before merchant coupons (minutes first, then money), so a merchant's coupon takes off only what a
      campaign left;
    - `calendar`, `tz`: the lot's workday calendar and time zone.
    """

    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    prior_stays: tuple[PriorStay, ...] = ()
    coupons: tuple[Coupon, ...] = ()
    campaigns: tuple[Coupon, ...] = ()
    pass_until: datetime | None = None
    paid_at: datetime | None = None
    benefit_minutes_used_today: int = 0


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One line of a receipt: a period, the rate, the units and the amount, and the rule in Chinese.
    Adjustments (caps, benefits, coupons, rounding) are lines with negative or positive amounts."""

    start: datetime
    end: datetime
    rate: str
    units: int
    amount_fen: int
    rule: str

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rate": self.rate,
            "units": self.units,
            "amount_fen": self.amount_fen,
            "rule": self.rule,
        }


@dataclass(frozen=True, slots=True)
class Quote:
    """The fee for a stay. `total_fen == sum(line.amount_fen for line in lines)` always holds.
    `needs_staff`: no fee could be computed (no entry record) and staff must decide."""

    total_fen: int
    lines: tuple[QuoteLine, ...]
    tariff_id: str
    vehicle_class: str
    benefit: str | None = None
    needs_staff: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "tariff": self.tariff_id,
            "vehicle_class": self.vehicle_class,
            "total_fen": self.total_fen,
            "total_yuan": fen_to_yuan(self.total_fen),
            "benefit": self.benefit,
            "needs_staff": self.needs_staff,
            "lines": [line.as_json() for line in self.lines],
        }


def fen_to_yuan(fen: int) -> str:
    """Format fen as yuan text, e.g. 1250 → "12.50". For display only."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{rest:02d}"
