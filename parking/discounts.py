"""Discounts on one stay: the merchant coupons its live session holds and the lot's campaigns, priced
through the tariff engine, with what each one took off.

Pure: the tariff, the stay, the session's coupons and the lot's campaigns come in; ``price_stay`` returns
the quote the exit asks for and one ``Discount`` per coupon or campaign that took something off, so that
for every stay

    fee before discounts == paid + what is due now + sum of the discounts

- Coupons go into ``QuoteContext.coupons`` and obey the tariff's ``coupons`` policy (how many, how many
  minutes and fen at most). A coupon the tariff does not accept (no policy, or not of its kinds, e.g.
  after a new tariff version) is left out rather than failing the exit; it takes nothing off.
- Campaigns go into ``QuoteContext.campaigns``: the lot decided them, so no tariff policy applies. A
  campaign counts for a stay that *began* within its period, whenever the car leaves. Campaigns come
  before coupons, so on a 公益免费停车 day a merchant's coupon takes nothing off.
- What each took off is its marginal effect, in the order the engine applies them (campaign minutes,
  coupon minutes, then campaign money, coupon money): the stay priced with the first k of them, less
  the stay priced with the first k+1. For a money coupon that is exactly the amount of its receipt line;
  for minutes it is what the shorter stay saved. The amounts add up to the difference the quote shows.

A payment (``paid_at``) settles everything given before it: the exit then prices only the time after
the payment (``parking.tariffs.engine``). Coupons given and campaigns set up before the payment (``at``
or ``created_at`` not after ``paid_at``) are attributed over entry → payment, as the payment priced them,
and are not applied again to the overstay. A coupon given (or a campaign set up) after the payment applies
to the overstay only: it can lower what is still due, down to nothing, and never gives back money already
paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .tariffs import Coupon, Quote, QuoteContext, Stay, Tariff, quote
from .tariffs.coupons import KINDS

__all__ = ["KINDS", "CampaignFact", "Discount", "PricedStay", "StayCoupon", "price_stay", "session_coupons"]

_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def valid_value(kind: str, value: int) -> bool:
    """Whether ``value`` suits a coupon or campaign of ``kind`` (percent 1–100, free 0, others > 0)."""
    if kind == "free":
        return value == 0
    if kind == "percent":
        return 1 <= value <= 100
    return kind in _ORDER and value > 0


@dataclass(frozen=True)
class CampaignFact:
    """A lot-wide offer (公益免费停车) for stays that begin in [starts_at, ends_at)."""

    id: int
    name: str
    kind: str
    value: int
    starts_at: datetime
    ends_at: datetime
    created_at: datetime | None = None  # a campaign set up after a payment is, like a coupon, for the overstay only

    def covers(self, entry_at: datetime) -> bool:
        return self.starts_at <= entry_at < self.ends_at

    def as_coupon(self) -> Coupon:
        return Coupon(self.kind, self.value, self.name)


@dataclass(frozen=True)
class StayCoupon:
    """A merchant coupon as the live session holds it; ``at`` is when it was given to the stay."""

    code: str
    kind: str
    value: int
    merchant: str = ""
    merchant_id: int = 0
    at: datetime | None = None

    def as_coupon(self) -> Coupon:
        return Coupon(self.kind, self.value, self.merchant)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "value": self.value, "merchant": self.merchant,
                "merchant_id": self.merchant_id, "at": self.at.isoformat() if self.at else None}


def session_coupons(session: Mapping[str, Any] | None) -> tuple[StayCoupon, ...]:
    """The coupons a live session holds (``session["coupons"]``); an entry that cannot be read is skipped."""
    found = []
    raw = session.get("coupons") if session else None
    for item in raw if isinstance(raw, list) else []:
        try:
            at = datetime.fromisoformat(item["at"]) if item.get("at") else None
            coupon = StayCoupon(str(item["code"]), str(item["kind"]), int(item.get("value") or 0), str(item.get("merchant") or ""),
                                int(item.get("merchant_id") or 0), at)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if valid_value(coupon.kind, coupon.value):
            found.append(coupon)
    return tuple(found)


@dataclass(frozen=True)
class Discount:
    """What one coupon (``ref``: its code) or campaign (``ref``: its id) took off a stay, in fen."""

    kind: str  # coupon | campaign
    ref: str
    name: str  # the merchant's or the campaign's name
    amount_fen: int

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "name": self.name, "amount_fen": self.amount_fen}


@dataclass(frozen=True)
class PricedStay:
    quote: Quote
    discounts: tuple[Discount, ...] = ()

    @property
    def discount_fen(self) -> int:
        return sum(d.amount_fen for d in self.discounts)


_Item = StayCoupon | CampaignFact


def price_stay(tariff: Tariff, stay: Stay, context: QuoteContext, *, coupons: Sequence[StayCoupon] = (),
               campaigns: Iterable[CampaignFact] = ()) -> PricedStay:
    """The quote for ``stay`` with its coupons and the campaigns that cover its entry, and what each took off."""
    entry = stay.entry
    running = [c for c in campaigns if entry is not None and valid_value(c.kind, c.value) and c.covers(entry)]
    accepted = [c for c in coupons if tariff.coupons is not None and c.kind in tariff.coupons.kinds]
    if entry is None or not (running or accepted):
        return PricedStay(quote(tariff, stay, context))
    paid_at = context.paid_at
    if paid_at is None:
        return PricedStay(*_attributed(tariff, stay, context, accepted, running))
    before = [c for c in accepted if c.at is None or c.at <= paid_at]
    after = [c for c in accepted if c.at is not None and c.at > paid_at]
    set_up = [c for c in running if c.created_at is None or c.created_at <= paid_at]
    settled: tuple[Discount, ...] = ()
    if before or set_up:
        paid_part = replace(stay, exit=max(entry, min(paid_at, stay.exit)))
        settled = _attributed(tariff, paid_part, replace(context, paid_at=None), before, set_up)[1]
    current, discounts = _attributed(tariff, stay, context, after, [c for c in running if c not in set_up])
    return PricedStay(current, settled + discounts)


def _attributed(tariff: Tariff, stay: Stay, context: QuoteContext, coupons: Sequence[StayCoupon],
                campaigns: Sequence[CampaignFact]) -> tuple[Quote, tuple[Discount, ...]]:
    full = quote(tariff, stay, _with(context, coupons, campaigns))
    items = _engine_order(tariff, coupons, campaigns)
    if not items or full.needs_staff:
        return full, ()
    previous = quote(tariff, stay, _with(context, (), ())).total_fen
    out = []
    for k, item in enumerate(items, start=1):
        taken = items[:k]
        total = full.total_fen if k == len(items) else quote(tariff, stay, _with(
            context, [i for i in taken if isinstance(i, StayCoupon)], [i for i in taken if isinstance(i, CampaignFact)])).total_fen
        off, previous = previous - total, total
        if off:
            if isinstance(item, StayCoupon):
                out.append(Discount("coupon", item.code, item.merchant, off))
            else:
                out.append(Discount("campaign", str(item.id), item.name, off))
    return full, tuple(out)


def _with(context: QuoteContext, coupons: Sequence[StayCoupon], campaigns: Sequence[CampaignFact]) -> QuoteContext:
    return replace(context, coupons=tuple(c.as_coupon() for c in coupons), campaigns=tuple(c.as_coupon() for c in campaigns))


def _engine_order(tariff: Tariff, coupons: Sequence[StayCoupon], campaigns: Sequence[CampaignFact]) -> list[_Item]:
    """Campaign minutes, the usable coupons' minutes, campaign money, the usable coupons' money (by kind)."""
    policy = tariff.coupons
    usable = list(coupons[: policy.max_count] if policy is not None and policy.max_count else coupons)
    by_kind = sorted(usable, key=lambda c: _ORDER[c.kind])
    ordered_campaigns = sorted(campaigns, key=lambda c: _ORDER[c.kind])
    return [
        *(c for c in ordered_campaigns if c.kind == "minutes"),
        *(c for c in by_kind if c.kind == "minutes"),
        *(c for c in ordered_campaigns if c.kind != "minutes"),
        *(c for c in by_kind if c.kind != "minutes"),
    ]
