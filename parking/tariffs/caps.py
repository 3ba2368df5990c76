"""The cap ledger: what each cap still allows, consumed in time order.

Every charge (a batch of units, or an opening fee) is offered to the ledger with the local date,
24 h window and band occurrence it starts in; it is charged the least of its gross amount and what
every applicable cap still allows. Charging units in time order this way is the same as charging
them one by one, which is what the minute-by-minute reference does. A ledger can start with amounts
already spent (earlier stays sharing a cap, or the part of a stay paid before exit).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from parking.tariffs.document import Cap, Tariff

__all__ = ["CapKey", "Ledger", "caps_of"]

CapKey = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class _Cap:
    index: int  # position in tariff.caps, or -1 for "a full day counts as N hours"
    cap: Cap


def caps_of(tariff: Tariff) -> list[_Cap]:
    caps = [_Cap(i, cap) for i, cap in enumerate(tariff.caps)]
    if tariff.full_day is not None and tariff.full_day.reading == "cap":
        caps.append(_Cap(-1, Cap("window_24h", (tariff.full_day_fen(),))))
    return caps


class Ledger:
    """Remaining allowance of every cap. `first_day` is the local date of the billing origin."""

    def __init__(self, tariff: Tariff, first_day: date, spent: dict[CapKey, int] | None = None) -> None:
        self.caps = caps_of(tariff)
        self.first_day = first_day
        self.spent: defaultdict[CapKey, int] = defaultdict(int, spent or {})
        self.reduced: defaultdict[CapKey, int] = defaultdict(int)

    def key(self, c: _Cap, day: date, window: int, occurrence: tuple[str, int] | None) -> tuple[CapKey, int] | None:
        """The ledger entry of cap `c` for a charge, and the cap's amount there; None if it does not apply."""
        cap = c.cap
        if cap.per == "band":
            if occurrence is None or occurrence[0] != cap.band:
                return None
            return (c.index, "band", occurrence), cap.amount(0)
        index = (day - self.first_day).days if cap.per == "calendar_day" else window
        if cap.cumulative:
            return (c.index, "all"), cap.amount(index)
        return (c.index, cap.per, day if cap.per == "calendar_day" else window), cap.amount(index)

    def take(self, gross: int, *, day: date, window: int, occurrence: tuple[str, int] | None) -> int:
        """Charge up to `gross`; returns the amount actually charged after caps."""
        entries = [k for c in self.caps if (k := self.key(c, day, window, occurrence)) is not None]
        allowed = gross
        binding: CapKey | None = None
        for key, amount in entries:
            left = max(0, amount - self.spent[key])
            if left < allowed:
                allowed, binding = left, key
        for key, _ in entries:
            self.spent[key] += allowed
        if binding is not None and gross > allowed:
            self.reduced[binding] += gross - allowed
        return allowed

    def add_spent(self, key: CapKey, amount: int) -> None:
        self.spent[key] += amount

    def copy(self) -> Ledger:
        other = Ledger.__new__(Ledger)
        other.caps, other.first_day = self.caps, self.first_day
        other.spent = defaultdict(int, self.spent)
        other.reduced = defaultdict(int)
        return other
