"""`quote(tariff, stay, context) -> Quote`: the fee for a stay, with a line for every rule applied.

Pure: the calendar, time zone, earlier stays, payment, pass and coupons all come in through
`QuoteContext`. The order of rules is

1. no entry record → flat fee or staff; re-entry within `reentry_minutes` → the earlier stay goes on;
2. campaigns and coupons worth minutes shorten the stay; a pass ending during the stay moves the start of billing;
3. the tariff's free period (counted or deducted), then the best benefit (free minutes, % off);
4. billing (`parking.tariffs.billing`), caps, the vehicle class factor;
5. payment before exit: within the grace period nothing more, later the extra time from the first
   unit with no new free period, the paid part still counting against the caps; under duration
   brackets the extra time is priced by the brackets again (`parking.tariffs.brackets`), bounded by
   the whole stay's fee when the document reads the rule that way (`brackets.overstay`);
6. money campaigns, then money coupons, the credit of a continued stay, and the final rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from parking.tariffs.billing import Billing, bill, half_up_percent
from parking.tariffs.brackets import overstay_lines, stay_lines
from parking.tariffs.caps import Ledger
from parking.tariffs.document import Benefit, Tariff
from parking.tariffs.errors import TariffError
from parking.tariffs.grants import benefit_holes, billing_start
from parking.tariffs.lines import cap_lines, charge_lines, period_line
from parking.tariffs.stay import Quote, QuoteContext, QuoteLine, Stay
from parking.tariffs.timeline import DAY, Clock
from parking.tariffs.wording import duration, money

__all__ = ["quote"]


@dataclass(slots=True)
class _Priced:
    """A candidate price. Billing lines are written only for the candidate that is chosen."""

    parts: list[QuoteLine | Callable[[], list[QuoteLine]]] = field(default_factory=list)
    total: int = 0
    benefit: Benefit | None = None
    billing: Billing | None = None
    origin: int = 0
    span: tuple[datetime, datetime] | None = None

    def add(self, line: QuoteLine) -> None:
        self.parts.append(line)
        self.total += line.amount_fen

    def add_later(self, amount: int, write: Callable[[], list[QuoteLine]]) -> None:
        self.parts.append(write)
        self.total += amount

    @property
    def lines(self) -> list[QuoteLine]:
        out: list[QuoteLine] = []
        for part in self.parts:
            out.extend(part() if callable(part) else [part])
        return out


def _aware(moment: datetime | None, name: str) -> datetime:
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise TariffError(name, "must be a date and time with a time zone")
    return moment


def quote(tariff: Tariff, stay: Stay, context: QuoteContext | None = None) -> Quote:
    """The fee for `stay` under `tariff`. Raises `TariffError` for a stay that cannot be priced."""
    context = context or QuoteContext()
    clock = Clock(context.tz, context.calendar)
    if stay.vehicle_class not in tariff.classes:
        raise TariffError(
            "vehicle_class", f"tariff {tariff.id!r} does not price {stay.vehicle_class!r} (it prices {sorted(tariff.classes)})"
        )
    exit_at = _aware(stay.exit, "exit")
    if stay.entry is None:
        return _no_entry(tariff, stay, clock, exit_at)
    entry = _aware(stay.entry, "entry")
    if exit_at < entry:
        raise TariffError("exit", f"{exit_at.isoformat()} is before the entry {entry.isoformat()}")
    E, X = Clock.minute(entry), Clock.minute(exit_at)
    head: list[QuoteLine] = []
    credit = 0
    previous = _continued(tariff, context, E)
    if previous is not None:
        E, credit = Clock.minute(previous.entry), previous.paid_fen
        head.append(period_line(clock, E, X, f"{tariff.reentry_minutes}分钟内再次入场，视为连续停车", 0))
    X, coupon_lines = _coupon_minutes(tariff, context, clock, E, X)
    head.extend(coupon_lines)
    if context.paid_at is not None:
        paid = Clock.minute(_aware(context.paid_at, "paid_at"))
        if X <= paid + tariff.grace_minutes:
            line = period_line(clock, paid, X, f"已缴费，{duration(tariff.grace_minutes)}内离场不再收费", 0)
            return _finish(tariff, stay, clock, [*head, line], None, credit=0, context=context, X=X)
    candidates = [None, *_benefits_for(tariff, stay, context)]
    best: _Priced | None = None
    for benefit in candidates:
        priced = _price(tariff, stay, context, clock, E, X, benefit)
        if best is None or priced.total < best.total:
            best = priced
    assert best is not None
    return _finish(tariff, stay, clock, [*head, *best.lines], best.benefit, credit=credit, context=context, X=X)


def _benefits_for(tariff: Tariff, stay: Stay, context: QuoteContext) -> list[Benefit]:
    return [
        b
        for b in tariff.benefits
        if b.kind in stay.benefits and not (b.excludes_pass_holders and context.pass_until is not None)
    ]


def _prior_on_day(context: QuoteContext, clock: Clock, E: int) -> bool:
    day = clock.local_date(E)
    return any(clock.local_date(Clock.minute(p.entry)) == day and Clock.minute(p.entry) < E for p in context.prior_stays)


def _price(
    tariff: Tariff, stay: Stay, context: QuoteContext, clock: Clock, E: int, X: int, benefit: Benefit | None
) -> _Priced:
    """Price [E, X) with one benefit (or none), ending before money coupons and final rounding."""
    if context.paid_at is not None:
        paid = Clock.minute(context.paid_at)
        if E < paid < X:
            return _price_overstay(tariff, stay, context, clock, E, paid, X, benefit)
    out = _Priced(benefit=benefit, origin=E, span=(clock.datetime(E), clock.datetime(X)))
    start, free_ok = E, True
    if context.pass_until is not None:
        until = Clock.minute(_aware(context.pass_until, "pass_until"))
        if until > E:
            start, free_ok = min(until, X), False
            out.add(period_line(clock, E, start, "月卡有效期内免费", 0))
    free = tariff.free
    if free_ok and free is not None and not (free.per == "day" and _prior_on_day(context, clock, E)):
        if free.mode == "counted" and X - E <= free.minutes:
            out.add(period_line(clock, E, X, f"{duration(free.minutes)}内免费", 0))
            return out
        if free.mode == "deducted":
            start = max(start, min(E + free.minutes, X))
            out.add(period_line(clock, E, start, f"前{duration(free.minutes)}免费，不追溯", 0))
    holes: list[tuple[int, int]] = []
    if benefit is not None and benefit.free_minutes:
        grants_from = start if not free_ok and context.pass_until is not None else E
        if benefit.free_mode == "counted":
            if X - grants_from <= benefit.free_minutes:
                out.add(period_line(clock, grants_from, X, f"{benefit.name.zh}：{duration(benefit.free_minutes)}内免费", 0))
                return out
        else:
            used = context.benefit_minutes_used_today
            holes = benefit_holes(tariff, stay.vehicle_class, clock, benefit, grants_from, X, used, _prior_on_day(context, clock, E))
            freed = sum(b - a for a, b in holes)
            if holes:
                out.add(period_line(clock, holes[0][0], holes[-1][1], f"{benefit.name.zh}：免费{duration(freed)}", 0))
    start, holes = billing_start(start, holes)
    if tariff.brackets is not None:
        minutes = max(0, X - start) - sum(min(b, X) - a for a, b in holes if a < X)
        for line in stay_lines(tariff.brackets, clock, start, X, minutes):
            out.add(line)
        _add_class_and_benefit(tariff, stay, out, benefit)
        return out
    origin, ledger = _origin_and_ledger(tariff, context, clock, E, start)
    billing = bill(tariff, stay.vehicle_class, clock, start, X, origin=origin, ledger=ledger, holes=holes)
    out.billing, out.origin = billing, origin
    _add_billing(tariff, clock, out, billing, origin)
    _add_class_and_benefit(tariff, stay, out, benefit)
    return out


def _price_overstay(
    tariff: Tariff, stay: Stay, context: QuoteContext, clock: Clock, E: int, paid: int, X: int, benefit: Benefit | None
) -> _Priced:
    before = _price(tariff, stay, _without_payment(context), clock, E, paid, benefit)
    out = _Priced(benefit=benefit, origin=before.origin, span=(clock.datetime(E), clock.datetime(X)))
    out.add(period_line(clock, E, paid, f"已缴费{money(before.total)}", 0))
    out.add(period_line(clock, paid, X, f"缴费后超过{duration(tariff.grace_minutes)}离场，超时部分从首个计费单位起计费，不再免费", 0))
    if tariff.brackets is not None:
        return _bracket_overstay(tariff, stay, context, clock, out, before.total, E, paid, X, benefit)
    ledger = before.billing.ledger.copy() if before.billing else Ledger(tariff, clock.local_date(before.origin))
    billing = bill(tariff, stay.vehicle_class, clock, paid, X, origin=before.origin, ledger=ledger)
    out.billing = billing
    _add_billing(tariff, clock, out, billing, before.origin)
    _add_class_and_benefit(tariff, stay, out, benefit)
    return out


def _bracket_overstay(
    tariff: Tariff,
    stay: Stay,
    context: QuoteContext,
    clock: Clock,
    out: _Priced,
    paid_fen: int,
    E: int,
    paid: int,
    X: int,
    benefit: Benefit | None,
) -> _Priced:
    """The extra time after a payment under brackets, by the document's `brackets.overstay` reading."""
    brackets = tariff.brackets
    assert brackets is not None
    for line in overstay_lines(brackets, clock, paid, X):
        out.add(line)
    _add_class_and_benefit(tariff, stay, out, benefit)
    if brackets.overstay == "whole_stay_cap":
        whole = _price(tariff, stay, _without_payment(context), clock, E, X, benefit).total
        room = max(0, whole - paid_fen)
        if out.total > room:
            rule = f"已缴{money(paid_fen)}与超时费用合计不超过整段停车费{money(whole)}"
            out.add(QuoteLine(clock.datetime(paid), clock.datetime(X), "", 0, room - out.total, rule))
    return out


def _without_payment(context: QuoteContext) -> QuoteContext:
    from dataclasses import replace

    return replace(context, paid_at=None, coupons=(), campaigns=())


def _origin_and_ledger(tariff: Tariff, context: QuoteContext, clock: Clock, E: int, start: int) -> tuple[int, Ledger]:
    """Windows of 24 h start with billing, or with the first stay of the vehicle sharing a cap."""
    shared = [c for c in tariff.caps if c.shared]
    priors = [p for p in context.prior_stays if E - DAY < Clock.minute(p.entry) < E] if shared else []
    origin = min([Clock.minute(p.entry) for p in priors if any(c.per == "window_24h" for c in shared)] or [start])
    ledger = Ledger(tariff, clock.local_date(origin))
    for prior in priors:
        at = Clock.minute(prior.entry)
        for c in ledger.caps:
            if c.index >= 0 and c.cap.shared:
                found = ledger.key(c, clock.local_date(at), (at - origin) // DAY, None)
                if found is not None:
                    ledger.add_spent(found[0], prior.paid_fen)
    return origin, ledger


def _add_billing(tariff: Tariff, clock: Clock, out: _Priced, billing: Billing, origin: int) -> None:
    reduced = dict(billing.ledger.reduced)
    out.add_later(
        billing.total,
        lambda: [*charge_lines(tariff, clock, billing.charges), *cap_lines(tariff, clock, billing, origin, reduced)],
    )


def _add_class_and_benefit(tariff: Tariff, stay: Stay, out: _Priced, benefit: Benefit | None) -> None:
    klass = tariff.classes[stay.vehicle_class]
    if not out.parts:
        return
    assert out.span is not None
    first, last = out.span
    if klass.factor_scope == "fee" and klass.factor_percent != 100:
        scaled = half_up_percent(out.total, klass.factor_percent)
        rule = f"{_CLASS_ZH[klass.name]}按{klass.factor_percent}%收费"
        out.add(QuoteLine(first, last, f"×{klass.factor_percent}%", 0, scaled - out.total, rule))
    if benefit is not None and benefit.percent_off and out.total > 0:
        off = half_up_percent(out.total, benefit.percent_off)
        out.add(QuoteLine(first, last, f"-{benefit.percent_off}%", 0, -off, f"{benefit.name.zh}：减免{benefit.percent_off}%"))


_CLASS_ZH = {"small": "小型车", "large": "大型车", "oversize": "超长车辆（12米及以上）", "motorcycle": "摩托车"}


def _continued(tariff: Tariff, context: QuoteContext, E: int):  # -> PriorStay | None
    if tariff.reentry_minutes <= 0:
        return None
    near = [p for p in context.prior_stays if 0 <= E - Clock.minute(p.exit) <= tariff.reentry_minutes]
    return max(near, key=lambda p: p.exit, default=None)


def _coupon_minutes(tariff: Tariff, context: QuoteContext, clock: Clock, E: int, X: int) -> tuple[int, list[QuoteLine]]:
    from parking.tariffs.coupons import check_campaigns, check_coupons, minutes_off, minutes_payer

    check_coupons(tariff, context.coupons)
    check_campaigns(context.campaigns)
    lines = []
    for campaign in context.campaigns:
        if campaign.kind == "minutes" and campaign.value:
            new_exit = max(E, X - campaign.value)
            lines.append(period_line(clock, new_exit, X, f"{campaign.merchant or '优惠活动'}：停车时长减免{duration(campaign.value)}", 0))
            X = new_exit
    minutes = minutes_off(tariff, context.coupons)
    if not minutes:
        return X, lines
    new_exit = max(E, X - minutes)
    return new_exit, [*lines, period_line(clock, new_exit, X, f"{minutes_payer(tariff, context.coupons)}优惠券抵扣停车时长{duration(minutes)}", 0)]


def _no_entry(tariff: Tariff, stay: Stay, clock: Clock, exit_at: datetime) -> Quote:
    X = Clock.minute(exit_at)
    policy = tariff.no_entry_record
    if policy is None or policy.action == "staff":
        line = period_line(clock, X, X, "无入场记录，请工作人员处理", 0)
        return Quote(0, (line,), tariff.id, stay.vehicle_class, needs_staff=True)
    line = period_line(clock, X, X, f"无入场记录，按{money(policy.fen)}收费", policy.fen)
    return Quote(policy.fen, (line,), tariff.id, stay.vehicle_class)


def _finish(
    tariff: Tariff,
    stay: Stay,
    clock: Clock,
    lines: list[QuoteLine],
    benefit: Benefit | None,
    *,
    credit: int,
    context: QuoteContext,
    X: int,
) -> Quote:
    from parking.tariffs.coupons import campaign_lines, money_coupon_lines

    total = sum(line.amount_fen for line in lines)
    end = clock.datetime(X)
    for line in campaign_lines(context.campaigns, total, end):
        lines.append(line)
        total += line.amount_fen
    for line in money_coupon_lines(tariff, context.coupons, total, end):
        lines.append(line)
        total += line.amount_fen
    if credit:
        take = min(credit, total)
        lines.append(QuoteLine(end, end, "", 0, -take, f"连续停车，已付{money(credit)}"))
        total -= take
    if tariff.final_rounding == "yuan_half_up" and total % 100:
        rounded = (total + 50) // 100 * 100
        lines.append(QuoteLine(end, end, "", 0, rounded - total, "按元四舍五入"))
        total = rounded
    return Quote(total, tuple(lines), tariff.id, stay.vehicle_class, benefit.id if benefit else None)
