"""Receipt lines of a tariff priced by duration brackets (tariff 13): a stay, and the overstay after paying.

A stay costs `per_period_fen` for each whole period and the bracket its remainder fits in. After a
payment, leaving later than the grace period pays the extra time by the same brackets again, without
a new free period: a remainder that falls in a free bracket costs the first bracket that charges.
Whether the paid part and the extra together may cost more than the whole stay unpaid is the
document's `brackets.overstay` reading, applied by the engine.
"""

from __future__ import annotations

from parking.tariffs.document import Brackets
from parking.tariffs.stay import QuoteLine
from parking.tariffs.timeline import Clock
from parking.tariffs.wording import duration, money

__all__ = ["overstay_lines", "stay_lines"]


def stay_lines(brackets: Brackets, clock: Clock, start: int, X: int, minutes: int) -> list[QuoteLine]:
    """Lines for `minutes` of billed time ending at `X` (billing started at `start`)."""
    if minutes <= 0:
        return []
    days, rest = divmod(minutes, brackets.period)
    out = _whole_periods(brackets, clock, start, days)
    if rest:
        fen, rule = _bracket(brackets, rest)
        out.append(QuoteLine(clock.datetime(X - rest), clock.datetime(X), f"{money(fen)}/次", 1, fen, rule))
    return out


def overstay_lines(brackets: Brackets, clock: Clock, paid: int, X: int) -> list[QuoteLine]:
    """Lines for the time from a payment at `paid` to the exit `X`, with no free bracket."""
    minutes = X - paid
    if minutes <= 0:
        return []
    days, rest = divmod(minutes, brackets.period)
    out = _whole_periods(brackets, clock, paid, days)
    if rest:
        fen, rule = _bracket(brackets, rest)
        if fen == 0:
            fen = brackets.first_charged_fen
            rule = f"缴费后超时{duration(rest)}，不再免费，按首个收费档{money(fen)}计"
        else:
            rule = f"缴费后超时{duration(rest)}，{rule}"
        out.append(QuoteLine(clock.datetime(X - rest), clock.datetime(X), f"{money(fen)}/次", 1, fen, rule))
    return out


def _whole_periods(brackets: Brackets, clock: Clock, start: int, days: int) -> list[QuoteLine]:
    if not days:
        return []
    fen = brackets.per_period_fen
    rule = f"每满{duration(brackets.period)}{money(fen)}"
    end = start + days * brackets.period
    return [QuoteLine(clock.datetime(start), clock.datetime(end), f"{money(fen)}/{duration(brackets.period)}", days, days * fen, rule)]


def _bracket(brackets: Brackets, rest: int) -> tuple[int, str]:
    """The price of the bracket `rest` minutes fall in, and its rule text."""
    item = next(b for b in brackets.items if rest <= b.up_to)
    low = max([b.up_to for b in brackets.items if b.up_to < item.up_to], default=0)
    span = f"{duration(low)}至{duration(item.up_to)}" if low else f"{duration(item.up_to)}以内"
    return item.fen, f"停车{span}{money(item.fen)}"
