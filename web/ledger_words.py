"""Payments, refunds and arrears in words, in the page's language: methods, states, purposes, the age bands
of arrears, yuan typed into a form, and the refusals of ``parking.services.refunds`` and ``arrears``.

The services refuse in English naming the field (``RefundError``, ``ArrearsError``); a manager reads the
sentence of that field and kind here (English through the catalogue), never a code.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from parking.tariffs.stay import fen_to_yuan

METHODS = {
    "cash": _l("现金"), "wechat": _l("微信支付"), "alipay": _l("支付宝"), "coupon": _l("商户券"), "prepaid": _l("预付"),
    "qr": _l("扫码支付"), "waived": _l("免费放行"),
}
PAYMENT_STATES = {"pending": _l("等待支付"), "paid": _l("已支付"), "failed": _l("下单失败"), "closed": _l("已关闭"), "refunded": _l("已全额退款")}
PURPOSES = {"stay": _l("停车费"), "arrears": _l("补缴欠费")}
REFUND_STATES = {"pending": _l("退款中"), "refunded": _l("已退款"), "failed": _l("退款失败")}
ARREARS_STATES = {"open": _l("未缴清"), "settled": _l("已补缴"), "waived": _l("已减免")}
AGE_BANDS = {"0-7": _l("0–7 天"), "8-30": _l("8–30 天"), "31-90": _l("31–90 天"), ">90": _l("90 天以上")}

MAX_YUAN_CHARS = 12
_YUAN = re.compile(r"[0-9]{1,8}(\.[0-9]{1,2})?")


def yuan(fen: int | None) -> str:
    return "—" if fen is None else fen_to_yuan(fen)


def fen_of(text: str) -> int | None:
    """Yuan typed into a form (``12``, ``12.5``, ``12.50``) as fen; None when it is not an amount."""
    text = (text or "").strip()
    if len(text) > MAX_YUAN_CHARS or not _YUAN.fullmatch(text):
        return None
    try:
        return int(Decimal(text) * 100)
    except InvalidOperation:
        return None


_MORE_THAN_LEFT = re.compile(r"([0-9.]+) yuan is more than the ([0-9.]+) yuan left to refund")
_LESS_THAN_OWED = re.compile(r"([0-9.]+) yuan given is less than the ([0-9.]+) yuan owed")
_CODES = {
    "forbidden": _l("只有经理可以退款或减免欠费。"),
    "not_found": _l("找不到这笔记录。"),
    "not_paid": _l("这笔款项未支付或已变化，不能退款。"),
    "no_shift": _l("现金退款在岗亭当面退还：请先在该停车场开班。"),
}
_FIELDS = {
    "amount_fen": _l("退款金额应为大于 0 且不超过可退金额的数目。"),
    "reason": _l("请填写原因（最多 200 个字）。"),
    "payment": _l("这笔款项不能退回原支付方式。"),
    "operator_id": _l("只有经理可以退款或减免欠费。"),
    "arrears": _l("这笔欠费已补缴或已减免。"),
    "plate": _l("车牌无效，或此车没有欠费。"),
    "given_fen": _l("收到的现金金额无效。"),
    "shift": _l("未开班，不能收现金：请先开班。"),
}


def refusal(error: Any) -> str:
    """A refund or arrears refusal as a sentence for the page."""
    field, message, code = str(getattr(error, "field", "")), str(getattr(error, "message", "") or error), getattr(error, "code", "")
    more = _MORE_THAN_LEFT.search(message)
    if more:
        return _("退款 %(amount)s 元超过可退的 %(left)s 元。", amount=more.group(1), left=more.group(2))
    less = _LESS_THAN_OWED.search(message)
    if less:
        return _("收到 %(given)s 元，少于欠费 %(owed)s 元。", given=less.group(1), owed=less.group(2))
    if code == "provider":
        return _("支付平台未能退款，账目未变：%(detail)s", detail=message)
    if code in _CODES:
        return str(_CODES[code])
    if field in _FIELDS:
        return str(_FIELDS[field])
    return _("操作未完成：%(detail)s", detail=message)
