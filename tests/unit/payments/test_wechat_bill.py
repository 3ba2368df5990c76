"""Reading WeChat Pay's ALL trade bill: the published layout (header, backtick-prefixed lines, summary),
refund lines, the older 总金额 layout, yuan to fen with Decimal, and a named line for every bad one."""

from datetime import datetime, timezone

import pytest

from parking.payments.base import BillLine, ProviderError
from parking.payments.wechat_bill import parse_trade_bill, yuan_to_fen

HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
          "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
          "手续费,费率,订单金额,申请退款金额,费率备注")
PAYMENT = ("`2026-11-25 17:30:05,`wx8888888888888888,`1900000001,`0,`,`4200000120261125000000000001,`P20261125001,"
           "`oSim0123,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.00,`0.00,`0,`0,`0.00,`0.00,`,`,`停车费 粤B***45,`,"
           "`0.07200,`0.60%,`12.00,`0.00,`")
REFUND = ("`2026-11-25 23:59:59,`wx8888888888888888,`1900000001,`0,`,`4200000120261125000000000001,`P20261125001,"
          "`oSim0123,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300202611250000000000000002,`R20261125001,`4.50,"
          "`0.00,`ORIGINAL,`SUCCESS,`停车费, 白石洲,`,`-0.02700,`0.60%,`12.00,`4.50,`")
SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`2,`12.00,`4.50,`0.00,`0.04500,`24.00,`4.50"


def bill(*lines: str) -> str:
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


def test_payments_and_refunds_are_read_in_fen_with_utc_times():
    assert parse_trade_bill(bill(HEADER, PAYMENT, REFUND, SUMMARY)) == [
        BillLine(kind="payment", out_trade_no="P20261125001", transaction_id="4200000120261125000000000001",
                 amount_fen=1200, at=datetime(2026, 11, 25, 9, 30, 5, tzinfo=timezone.utc)),
        BillLine(kind="refund", out_trade_no="P20261125001", transaction_id="4200000120261125000000000001",
                 amount_fen=450, at=datetime(2026, 11, 25, 15, 59, 59, tzinfo=timezone.utc),
                 out_refund_no="R20261125001", refund_id="50300202611250000000000000002"),
    ]


def test_a_day_with_only_the_summary_has_no_lines():
    assert parse_trade_bill(HEADER + "\n" + SUMMARY.replace("`2,", "`0,")) == []


def test_the_older_layout_with_total_amount_reads_the_same():
    old_header = ",".join(name.replace("应结订单金额", "总金额").replace("代金券金额", "企业红包金额")
                          for name in HEADER.split(",")[:24])
    line = ",".join(PAYMENT.split(",")[:24])
    assert [(b.kind, b.amount_fen) for b in parse_trade_bill(bill(old_header, line, SUMMARY))] == [("payment", 1200)]


@pytest.mark.parametrize("text, fen", [("12.00", 1200), ("0.01", 1), ("0.1", 10), ("1234567.89", 123456789),
                                       ("0", 0), (" 3.50 ", 350)])
def test_yuan_become_fen_exactly(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["12.345", "abc", "", "NaN", "Infinity"])
def test_amounts_that_are_not_whole_fen_are_refused(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


@pytest.mark.parametrize("text, problem", [
    ("", "line 1: the bill is empty"),
    (bill(HEADER.replace("商户订单号", "订单号"), PAYMENT, SUMMARY), "line 1: the header has no column 商户订单号"),
    (bill(HEADER, PAYMENT), "line 2: the bill ends without its summary"),
    (bill(HEADER, PAYMENT.lstrip("`"), SUMMARY), "line 2: a bill line must start with a backtick"),
    (bill(HEADER, PAYMENT + ",`extra", SUMMARY), "line 2: 28 fields, the header names 27"),
    (bill(HEADER, PAYMENT.replace("`12.00,`0.00,`0,", "`12.001,`0.00,`0,"), SUMMARY),
     "line 2: 应结订单金额: '12.001' is not a whole number of fen"),
    (bill(HEADER, PAYMENT.replace("`SUCCESS", "`REVOKED"), SUMMARY), "line 2: 交易状态 'REVOKED' is neither"),
    (bill(HEADER, PAYMENT.replace("2026-11-25 17:30:05", "2026/11/25 17:30"), SUMMARY),
     "line 2: 交易时间 '2026/11/25 17:30' is not yyyy-MM-dd HH:mm:ss"),
    (bill(HEADER, PAYMENT, REFUND.replace("`R20261125001", "`"), SUMMARY),
     "line 3: a refund line needs 商户退款单号 and 微信退款单号"),
    (bill(HEADER, REFUND.replace("`4.50,`0.00,`ORIGINAL", "`-4.50,`0.00,`ORIGINAL"), SUMMARY),
     "line 2: 退款金额 '-4.50' is negative"),
])
def test_a_bill_that_does_not_fit_the_layout_names_the_line(text, problem):
    with pytest.raises(ProviderError, match=problem) as caught:
        parse_trade_bill(text)
    assert caught.value.code == "BAD_BILL"
