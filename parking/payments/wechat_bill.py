"""Reading WeChat Pay's daily trade bill (交易账单, ``bill_type=ALL``) into bill lines in fen.

The file is CSV as the platform publishes it: a header line, one line per payment (交易状态 ``SUCCESS``)
or refund (``REFUND``) with every field prefixed by a backtick, then a summary header and summary line::

    交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,
    货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,
    商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
    `2026-11-25 17:30:05,`wx8888888888888888,`1900000001,`0,`,`4200000001202611250000000001,`P1,...
    总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
    `2,`12.00,`5.00,`0.00,`0.00000,`12.00,`5.00

Columns are found by name, so the older layout (``总金额`` where newer files say ``应结订单金额``) reads too.
Amounts are yuan with two decimals, turned into fen with :class:`decimal.Decimal`; times are Beijing time
(交易时间 of a refund is when it was asked for, not when it completed), returned in UTC. A line that does not
fit the layout is a ProviderError naming the line: reconciliation must not run on half a bill.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from parking.payments.base import BillLine, ProviderError

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
SUMMARY_HEAD = "总交易单数"
TIME, TRANSACTION, OUT_TRADE, STATE = "交易时间", "微信订单号", "商户订单号", "交易状态"
REFUND_ID, OUT_REFUND, REFUND_AMOUNT = "微信退款单号", "商户退款单号", "退款金额"
SETTLED, SETTLED_OLD = "应结订单金额", "总金额"


def parse_trade_bill(text: str) -> list[BillLine]:
    lines = [(number, line.rstrip("\r")) for number, line in enumerate(text.lstrip("\ufeff").split("\n"), 1)]
    lines = [(number, line) for number, line in lines if line.strip()]
    if not lines:
        raise _bad(1, "the bill is empty (expected a header line)")
    header_number, header = lines[0]
    columns = [name.strip() for name in header.split(",")]
    amount_column = SETTLED if SETTLED in columns else SETTLED_OLD
    needed = (TIME, TRANSACTION, OUT_TRADE, STATE, amount_column, REFUND_ID, OUT_REFUND, REFUND_AMOUNT)
    absent = [name for name in needed if name not in columns]
    if absent:
        raise _bad(header_number, f"the header has no column {', '.join(absent)}")
    where = {name: columns.index(name) for name in needed}
    result: list[BillLine] = []
    summary = False
    for number, line in lines[1:]:
        if line.startswith(SUMMARY_HEAD):
            summary = True
            break
        fields = _fields(number, line, len(columns))
        result.append(_bill_line(number, {name: fields[i] for name, i in where.items()}, amount_column))
    if not summary:
        raise _bad(lines[-1][0], f"the bill ends without its summary ({SUMMARY_HEAD}...): it is incomplete")
    return result


def yuan_to_fen(text: str) -> int:
    """``"12.30"`` → 1230, exactly; ValueError for anything that is not a whole number of fen."""
    try:
        yuan = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount in yuan") from exc
    fen = yuan * 100
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of fen")
    return int(fen)


def _fields(number: int, line: str, count: int) -> list[str]:
    if not line.startswith("`"):
        raise _bad(number, "a bill line must start with a backtick (`)")
    fields = line[1:].split(",`")  # values may hold commas; every field starts with ",`"
    if len(fields) != count:
        raise _bad(number, f"{len(fields)} fields, the header names {count}")
    return [field.strip() for field in fields]


def _bill_line(number: int, row: dict[str, str], amount_column: str) -> BillLine:
    try:
        at = datetime.strptime(row[TIME], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(timezone.utc)
    except ValueError as exc:
        raise _bad(number, f"{TIME} {row[TIME]!r} is not yyyy-MM-dd HH:mm:ss") from exc
    if not row[OUT_TRADE] or not row[TRANSACTION]:
        raise _bad(number, f"{OUT_TRADE} and {TRANSACTION} must not be empty")
    state = row[STATE]
    if state == "SUCCESS":
        kind, column = "payment", amount_column
    elif state == "REFUND":
        kind, column = "refund", REFUND_AMOUNT
        if not row[OUT_REFUND] or not row[REFUND_ID]:
            raise _bad(number, f"a refund line needs {OUT_REFUND} and {REFUND_ID}")
    else:
        raise _bad(number, f"{STATE} {state!r} is neither SUCCESS nor REFUND")
    try:
        amount = yuan_to_fen(row[column])
    except ValueError as exc:
        raise _bad(number, f"{column}: {exc}") from exc
    if amount < 0:
        raise _bad(number, f"{column} {row[column]!r} is negative")
    refund = kind == "refund"
    return BillLine(kind=kind, out_trade_no=row[OUT_TRADE], transaction_id=row[TRANSACTION], amount_fen=amount,
                    at=at, out_refund_no=row[OUT_REFUND] if refund else "",
                    refund_id=row[REFUND_ID] if refund else "")


def _bad(number: int, problem: str) -> ProviderError:
    return ProviderError(f"WeChat Pay trade bill, line {number}: {problem}", code="BAD_BILL")
