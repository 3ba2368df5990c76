"""The booth's money in words: payment methods, why a car is held, an order's state, a shift's state, and
the refusals of the ledger, the hand release and the shift services, in the page's language.

The services refuse in English with the ``field`` that was wrong (``LedgerError``, ``HandReleaseError``,
``ShiftError``); an attendant reads the Chinese sentence of that field and message here (English through
the catalogue). A refusal without a sentence of its own falls back to its field's, never to a code.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from parking.tariffs.stay import fen_to_yuan

METHOD_WORDS = {
    "cash": _l("现金"), "wechat": _l("微信支付"), "alipay": _l("支付宝"), "coupon": _l("商户券"), "prepaid": _l("预付"),
    "qr": _l("扫码支付"), "waived": _l("免费放行"),
}
QR_METHODS = ("wechat", "alipay")  # what a payer scans at the booth, in the order of the buttons
QR_METHOD_WORDS = {"wechat": _l("微信"), "alipay": _l("支付宝")}

# Why an exit lane holds a car (``ExitPlan.reason`` as the lane stored it with the hold).
HELD_REASONS = {
    "fee_due": _l("待缴费"),
    "no_entry_record": _l("无入场记录"),
    "no_entry_fee": _l("无入场记录，按固定收费"),
    "needs_staff": _l("需人工确认"),
}
ORDER_STATES = {
    "pending": _l("等待支付"), "paid": _l("已支付，已抬杆"), "closed": _l("订单已关闭，未支付"), "failed": _l("下单失败"),
    "refunded": _l("已退款"),
}
SHIFT_STATES = {"open": _l("值班中"), "closed": _l("已交班，待确认"), "confirmed": _l("已确认")}
DISCOUNT_WORDS = {
    "coupon": _l("商户优惠"), "campaign": _l("活动优惠"), "free_release": _l("免费放行"), "refund": _l("退款"), "waiver": _l("欠费减免"),
}
OUTCOME_WORDS = {"cash": _l("收现金"), "free": _l("免费放行"), "unpaid": _l("未缴费放行")}


def held_reason(code: str) -> str:
    return str(HELD_REASONS.get(code, _l("需人工处理")))


def method_words(method: str) -> str:
    return str(METHOD_WORDS.get(method, _l("其他方式")))


# (field, how the English message starts) → the sentence; the first match wins, then the field's own.
_REFUSALS: list[tuple[str, str, Any]] = [
    ("shift", "cash is taken only in an open shift", _l("未开班，不能收现金：请先开班。")),
    ("shift", "your open shift is at another lot", _l("您的班次在另一个停车场，不能在这里收现金。")),
    ("shift", "you already have an open shift", _l("您已有一个未交班的班次，请先交班。")),
    ("shift", "only the attendant of a shift closes it", _l("只有本班值班员可以交班。")),
    ("shift", "this shift is already closed", _l("此班次已交班，不能再次交班。")),
    ("shift", "a shift is confirmed by a manager other than its attendant", _l("不能确认自己的班次，请由其他管理人员确认。")),
    ("shift", "only a closed shift can be confirmed", _l("班次尚未交班，不能确认。")),
    ("shift", "this shift is already confirmed", _l("此班次已确认。")),
    ("amount", "nothing is due", _l("此车无需缴费，可直接放行。")),
    ("outcome", "nothing is due", _l("此车无需缴费，请选择免费放行。")),
    ("given_fen", "enter the cash given", _l("请填写收到的现金。")),
    ("given_fen", "at most", _l("一次最多收 10000 元现金。")),
    ("plate", "no car is waiting", _l("此出口没有等待的车辆。")),
    ("reason", "choose a reason from the list", _l("请从列表中选择免费放行的原因。")),
    ("lane", "", _l("只有出口车道可以收费放行。")),
]
_FIELDS: dict[str, Any] = {
    "shift": _l("班次状态不允许此操作。"),
    "given_fen": _l("收到的现金金额无效。"),
    "plate": _l("车牌无效。"),
    "reason": _l("原因太长。"),
    "outcome": _l("请选择放行方式。"),
    "amount": _l("应收金额无效。"),
    "scene": _l("支付方式无效。"),
    "opening_float_fen": _l("备用金应为 0 到 10000 元。"),
    "counted_cash_fen": _l("清点现金应为不小于 0 的金额。"),
    "note": _l("备注太长，最多 500 个字。"),
}
_LESS_THAN_DUE = re.compile(r"([0-9.]+) yuan given is less than the ([0-9.]+) yuan due")


def refusal(error: Any) -> str:
    """A service's refusal (anything with ``field`` and ``message``) as a sentence for the booth."""
    field, message = str(getattr(error, "field", "")), str(getattr(error, "message", "") or error)
    less = _LESS_THAN_DUE.search(message) if field == "given_fen" else None
    if less:
        return _("收到 %(given)s 元，少于应收 %(due)s 元。", given=less.group(1), due=less.group(2))
    for name, start, text in _REFUSALS:
        if name == field and message.startswith(start):
            return str(text)
    if field in _FIELDS:
        return str(_FIELDS[field])
    return _("操作未完成：%(detail)s", detail=message)


def yuan(fen: int | None) -> str:
    """Fen as yuan text for a sentence (templates use the ``yuan`` macro)."""
    return "—" if fen is None else fen_to_yuan(fen)
