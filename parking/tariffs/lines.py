"""Receipt lines: billing charges, cap reductions and notes turned into `QuoteLine`s in Chinese.

Consecutive charges of one run at the same band and ladder step become one line, so a night that
crosses midnight reads as one line, not two.
"""

from __future__ import annotations

from datetime import timedelta

from parking.tariffs.billing import Billing, Charge
from parking.tariffs.stay import QuoteLine
from parking.tariffs.timeline import DAY, Clock
from parking.tariffs.wording import band_span, duration, money, step_span, unit_price

__all__ = ["cap_lines", "charge_lines", "period_line"]


def period_line(clock: Clock, start: int, end: int, rule: str, amount: int) -> QuoteLine:
    return QuoteLine(clock.datetime(start), clock.datetime(end), "", 0, amount, rule)


def charge_lines(tariff, clock: Clock, charges: tuple[Charge, ...]) -> list[QuoteLine]:
    merged: list[Charge] = []
    for c in charges:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.run == c.run
            and last.rate is c.rate
            and last.step == c.step
            and last.band is c.band
            and last.end == c.start
        ):
            merged[-1] = Charge(
                last.start, c.end, last.units + c.units, last.gross + c.gross, last.charged + c.charged,
                c.band, c.rate, c.step, c.window, c.run,
            )
        else:
            merged.append(c)
    out = []
    for c in merged:
        if c.rate is None:
            opening = tariff.opening
            rule = f"首{duration(opening.minutes)}{money(opening.fen)}（按次）"
            out.append(QuoteLine(clock.datetime(c.start), clock.datetime(c.end), f"{money(opening.fen)}/次", 1, c.gross, rule))
            continue
        step = c.rate.steps[c.step]
        span = step_span(c.rate, c.step)
        rule = f"{c.band.name.zh}（{band_span(c.band)}）" + (f"，{span}" if span else "")
        out.append(QuoteLine(clock.datetime(c.start), clock.datetime(c.end), unit_price(step), c.units, c.gross, rule))
    return out


def _cap_rule(tariff, index: int, key) -> str:
    if index < 0:
        fd = tariff.full_day
        return f"满24小时按{fd.hours}小时{tariff.band(fd.band).name.zh}计费（{money(tariff.full_day_fen())}）"
    cap = tariff.caps[index]
    shared = "（24小时内多次停车合计）" if cap.shared else ""
    amounts = "/".join(money(a) for a in cap.fen)
    if cap.per == "band":
        return f"{tariff.band(cap.band).name.zh}每段最高{amounts}"
    if cap.per == "calendar_day":
        return f"每日最高{amounts}{'（累计）' if cap.cumulative else ''}{shared}"
    return f"每24小时最高{amounts}{'（累计）' if cap.cumulative else ''}{shared}"


def cap_lines(tariff, clock: Clock, billing: Billing, origin: int, reduced: dict) -> list[QuoteLine]:
    out = []
    for key, amount in reduced.items():
        index, per, where = key[0], key[1], key[2] if len(key) > 2 else None
        if per == "calendar_day":
            start = clock.at(where, 0)
            end = clock.at(where + timedelta(days=1), 0)
        elif per == "window_24h":
            start, end = origin + where * DAY, origin + (where + 1) * DAY
        elif per == "band":
            start = end = where[1]
        else:  # cumulative
            start = end = origin
        out.append(QuoteLine(clock.datetime(start), clock.datetime(end), "", 0, -amount, _cap_rule(tariff, index, key)))
    for window_start, adjustment in billing.flat_days:
        fd = tariff.full_day
        rule = f"满24小时按{fd.hours}小时{tariff.band(fd.band).name.zh}计费（{money(tariff.full_day_fen())}）"
        out.append(
            QuoteLine(clock.datetime(window_start), clock.datetime(window_start + DAY), "", 0, adjustment, rule)
        )
    return out
