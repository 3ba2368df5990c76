"""Merchant coupons (商户优惠券): minutes off the stay, an amount off, a percentage off, or free.

Limits come from the tariff's `coupons` policy: how many coupons one stay may use, how many minutes
and how many fen they may take off in total. The first `max_count` coupons given are used, by kind:
minutes first (they shorten the stay before it is priced), then percentages, amounts and free coupons
on the fee; coupons of one kind in the order given.

A lot's campaigns (公益免费停车) come in as coupons too, named by the campaign, but no tariff policy limits
them: their minutes shorten the stay with the coupons', and their money lines come before the coupons'.
"""

from __future__ import annotations

from datetime import datetime

from parking.tariffs.billing import half_up_percent
from parking.tariffs.document import Tariff
from parking.tariffs.errors import TariffError
from parking.tariffs.stay import Coupon, QuoteLine
from parking.tariffs.wording import money

__all__ = ["KINDS", "campaign_lines", "check_campaigns", "check_coupons", "minutes_off", "minutes_payer", "money_coupon_lines"]

_ORDER = {"minutes": 0, "percent": 1, "amount": 2, "free": 3}
KINDS = tuple(_ORDER)


def check_coupons(tariff: Tariff, coupons: tuple[Coupon, ...]) -> None:
    if not coupons:
        return
    if tariff.coupons is None:
        raise TariffError("coupons", f"tariff {tariff.id!r} accepts no merchant coupons")
    for i, coupon in enumerate(coupons):
        if coupon.kind not in tariff.coupons.kinds:
            raise TariffError(f"coupons[{i}].kind", f"{coupon.kind!r} coupons are not accepted here")
        if coupon.value < 0 or (coupon.kind == "percent" and coupon.value > 100):
            raise TariffError(f"coupons[{i}].value", f"{coupon.value} is out of range for a {coupon.kind} coupon")


def check_campaigns(campaigns: tuple[Coupon, ...]) -> None:
    for i, campaign in enumerate(campaigns):
        if campaign.kind not in _ORDER:
            raise TariffError(f"campaigns[{i}].kind", f"{campaign.kind!r} is not one of {', '.join(_ORDER)}")
        if campaign.value < 0 or (campaign.kind == "percent" and campaign.value > 100):
            raise TariffError(f"campaigns[{i}].value", f"{campaign.value} is out of range for a {campaign.kind} campaign")


def _usable(tariff: Tariff, coupons: tuple[Coupon, ...]) -> list[Coupon]:
    policy = tariff.coupons
    if policy is None:
        return []
    usable = list(coupons[: policy.max_count] if policy.max_count else coupons)
    return sorted(usable, key=lambda c: _ORDER[c.kind])


def minutes_off(tariff: Tariff, coupons: tuple[Coupon, ...]) -> int:
    total = sum(c.value for c in _usable(tariff, coupons) if c.kind == "minutes")
    limit = tariff.coupons.max_minutes if tariff.coupons else 0
    return min(total, limit) if limit else total


def minutes_payer(tariff: Tariff, coupons: tuple[Coupon, ...]) -> str:
    """Who gave the minutes coupons that are used: their merchants' names, or 商户."""
    names = dict.fromkeys(c.merchant for c in _usable(tariff, coupons) if c.kind == "minutes" and c.merchant)
    return "、".join(names) or "商户"


def campaign_lines(campaigns: tuple[Coupon, ...], total: int, at: datetime) -> list[QuoteLine]:
    """The money lines of the lot's campaigns (percentages, amounts, free), before any coupon's."""
    out: list[QuoteLine] = []
    for campaign in sorted(campaigns, key=lambda c: _ORDER[c.kind]):
        if campaign.kind == "minutes" or total <= 0:
            continue
        name = campaign.merchant or "优惠活动"
        if campaign.kind == "free":
            off, rule = total, name
        elif campaign.kind == "percent":
            off, rule = half_up_percent(total, campaign.value), f"{name}：减免{campaign.value}%"
        else:
            off, rule = min(campaign.value, total), f"{name}：抵扣{money(campaign.value)}"
        out.append(QuoteLine(at, at, "", 0, -off, rule))
        total -= off
    return out


def money_coupon_lines(tariff: Tariff, coupons: tuple[Coupon, ...], total: int, at: datetime) -> list[QuoteLine]:
    out: list[QuoteLine] = []
    if tariff.coupons is None:
        return out
    policy = tariff.coupons
    if policy.max_count and len(coupons) > policy.max_count:
        out.append(QuoteLine(at, at, "", 0, 0, f"每次停车最多使用{policy.max_count}张优惠券，其余{len(coupons) - policy.max_count}张未使用"))
    left_fen = policy.max_fen or None
    for coupon in _usable(tariff, coupons):
        if coupon.kind == "minutes" or total <= 0:
            continue
        who = f"{coupon.merchant}" if coupon.merchant else "商户"
        if coupon.kind == "free":
            off, rule = total, f"{who}免费券"
        elif coupon.kind == "percent":
            off, rule = half_up_percent(total, coupon.value), f"{who}优惠券减免{coupon.value}%"
        else:
            off, rule = min(coupon.value, total), f"{who}优惠券抵扣{money(coupon.value)}"
        if coupon.kind != "free" and left_fen is not None:
            if off > left_fen:
                rule += f"（单次最多抵扣{money(tariff.coupons.max_fen)}）"
            off = min(off, left_fen)
            left_fen -= off
        out.append(QuoteLine(at, at, "", 0, -off, rule))
        total -= off
    return out
