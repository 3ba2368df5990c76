"""Coupons and campaigns in words, in the page's language: what a coupon gives (``offer_words``), its
state, and the refusals of the coupon, merchant and campaign services (``explain``).

The services refuse in English with a ``code`` naming the rule and ``params``; a page shows the sentence
of that code here (English through the catalogue), or ``web.service_errors.explain`` for the codes the
other pages share, which falls back to the service's English message.

Typed values: minutes and percentages are whole numbers; an amount is typed in yuan (``5``, ``2.50``)
and becomes fen here (``parse_value``), the only place a coupon page converts money.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from parking.services.spreadsheets import parse_fen
from parking.tariffs.stay import fen_to_yuan

from . import service_errors

KIND_WORDS = {"minutes": _l("减免时长"), "amount": _l("抵扣金额"), "percent": _l("折扣"), "free": _l("免费停车")}
STATUS_WORDS = {"issued": _l("未使用"), "applied": _l("已领取，离场时抵扣"), "used": _l("已使用"), "void": _l("已作废")}

TEXTS: dict[str, Any] = {
    "coupon_unknown": _l("没有这张优惠券。"),
    "coupon_voided": _l("这张优惠券已作废。"),
    "coupon_used": _l("这张优惠券已经使用过了。"),
    "coupon_claimed": _l("这张优惠券已被领取，用于另一次停车。"),
    "coupon_expired": _l("这张优惠券已过期。"),
    "coupon_other_lot": _l("这张优惠券不能在本停车场使用。"),
    "coupon_attempts": _l("填写错误次数过多，这张优惠券不能再领取，请向商户另取一张。"),
    "coupon_stay_not_found": _l("没有找到该车牌在这个时间入场的停车记录，请核对车牌和入场时间。"),
    "coupon_not_parked": _l("车辆 %(plate)s 现在不在停车场内。"),
    "coupon_not_stackable": _l("这次停车已有商户“%(other)s”的优惠券，不能与其他商户的优惠券同时使用。"),
    "coupon_tariff_refuses": _l("本停车场的收费标准不接受商户优惠券。"),
    "coupon_tariff_kind": _l("本停车场的收费标准不接受这种优惠券。"),
    "coupon_tariff_count": _l("每次停车最多使用 %(max)s 张优惠券。"),
    "coupon_quota_exceeded": _l("本月已发放 %(issued)s 张，额度 %(quota)s 张，不能再发放这么多。"),
    "coupon_kind_not_allowed": _l("本商户不能发放这种优惠券。"),
    "coupon_value_not_allowed": _l("超出本商户可发放的额度（最多 %(max)s）。"),
    "coupon_validity": _l("有效期应在现在之后，且不超过 %(max)s 天。"),
    "merchant_inactive": _l("本商户现在不能发放优惠券。"),
    "entry_time_invalid": _l("入场时间应为 时:分，如 08:30。"),
    "kinds_required": _l("请至少选择一种可发放的优惠券。"),
    "coupon_kind_invalid": _l("优惠类型无效。"),
    "merchant_name_taken": _l("该停车场已有名为“%(name)s”的商户。"),
    "merchant_unknown": _l("商户不存在。"),
    "merchant_lot_fixed": _l("商户不能改到其他停车场。"),
    "campaign_unknown": _l("优惠活动不存在。"),
    "campaign_too_long": _l("优惠活动最长 %(max)s 天。"),
    "campaign_lot_fixed": _l("优惠活动不能改到其他停车场。"),
}


def explain(error: Any) -> str:
    template = TEXTS.get(getattr(error, "code", ""))
    if template is None:
        return service_errors.explain(error)
    try:
        return str(template) % dict(getattr(error, "params", {}) or {})
    except (KeyError, TypeError, ValueError):
        return str(getattr(error, "message", "") or error)


def offer_words(kind: str, value: int) -> str:
    """What a coupon or campaign gives: 减免停车时长 30 分钟, 抵扣 5.00 元, 停车费减免 50%, 免费停车."""
    if kind == "minutes":
        return _("减免停车时长 %(minutes)d 分钟", minutes=value)
    if kind == "amount":
        return _("抵扣停车费 %(yuan)s 元", yuan=fen_to_yuan(value))
    if kind == "percent":
        return _("停车费减免 %(percent)d%%", percent=value)
    return _("免费停车")


def limit_words(kind: str, value: int) -> str:
    """The largest coupon of ``kind`` a merchant may give."""
    if kind == "minutes":
        return _("最多 %(minutes)d 分钟", minutes=value)
    if kind == "amount":
        return _("最多 %(yuan)s 元", yuan=fen_to_yuan(value))
    if kind == "percent":
        return _("最多 %(percent)d%%", percent=value)
    return _("免费停车")


def status_words(status: str, bound: bool) -> str:
    return str(STATUS_WORDS["applied" if status == "issued" and bound else status])


def parse_value(kind: str, text: str, *, max_fen: int = 50_000) -> int:
    """The value typed for ``kind``: minutes or percent as a whole number, an amount in yuan as fen, free 0.
    Raises ValueError with the sentence to show."""
    text = (text or "").strip()
    if kind == "free":
        return 0
    if kind == "amount":
        try:
            return parse_fen(text, max_fen=max_fen)
        except ValueError:
            raise ValueError(_("金额应以元为单位，最多两位小数。")) from None
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise ValueError(_("应为整数。"))
    return int(text)


def value_text(kind: str, value: int) -> str:
    """A value as it is typed back into a form (yuan for amounts)."""
    return fen_to_yuan(value) if kind == "amount" else ("" if kind == "free" else str(value))
