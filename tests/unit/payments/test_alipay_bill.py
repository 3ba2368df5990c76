"""Alipay's daily trade bill (业务明细, GBK CSV in a zip) read into BillLine values with exact fen."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import pytest

from parking.payments.alipay_bill import BillFormatError, detail_csv, parse_bill_zip, parse_detail_csv
from parking.payments.base import BillLine

HEADER = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
          "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
          "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
PAYMENT = ("2026112522001000000000000001\t,P20261125A\t,交易,停车费 粤B***45 白石洲停车场,2026-11-25 17:30:00,"
           "2026-11-25 17:31:02,,,,,158****0001,10.50,10.50,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.06,0.00,")
REFUND = ("2026112522001000000000000001\t,P20261125A\t,退款,停车费 粤B***45 白石洲停车场,2026-11-25 17:30:00,"
          "2026-11-25 23:59:59,,,,,158****0001,-3.05,-3.05,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,R20261125B\t,0.02,0.00,")
BILL = "\r\n".join([
    "#支付宝业务明细查询",
    "#账号：[20880000000000010156]",
    "#起始日期：[2026年11月25日 00:00:00]   终止日期：[2026年11月26日 00:00:00]",
    "#-----------------------------------------业务明细列表----------------------------------------",
    HEADER, PAYMENT, REFUND,
    "#-----------------------------------------业务明细列表结束------------------------------------",
    "#交易合计：1笔，退款合计：1笔",
    "#导出时间：[2026年11月26日 09:00:00]", ""])

EXPECTED = [
    BillLine(kind="payment", out_trade_no="P20261125A", transaction_id="2026112522001000000000000001",
             amount_fen=1050, at=datetime(2026, 11, 25, 9, 31, 2, tzinfo=timezone.utc)),
    BillLine(kind="refund", out_trade_no="P20261125A", transaction_id="2026112522001000000000000001",
             amount_fen=305, at=datetime(2026, 11, 25, 15, 59, 59, tzinfo=timezone.utc), out_refund_no="R20261125B"),
]


class GbkName(zipfile.ZipInfo):
    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits


def bill_zip(names: dict[str, bytes], *, gbk_names: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in names.items():
            zf.writestr(GbkName(name) if gbk_names else zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def test_payments_and_refunds_become_bill_lines_with_positive_exact_fen() -> None:
    assert parse_detail_csv(BILL.encode("gbk")) == EXPECTED


def test_columns_are_found_by_name_not_position() -> None:
    columns = HEADER.split(",")
    order = [columns.index(c) for c in reversed(columns)]
    swap = lambda line: ",".join(line.split(",")[i] for i in order)  # noqa: E731
    text = "\r\n".join([swap(HEADER), swap(PAYMENT), swap(REFUND)])
    assert parse_detail_csv(text.encode("gbk")) == EXPECTED


def test_the_detail_file_is_found_in_the_zip_by_its_gbk_name_beside_the_summary() -> None:
    archive = bill_zip({"20880000000000010156_20261125_业务明细.csv": BILL.encode("gbk"),
                        "20880000000000010156_20261125_业务明细(汇总).csv": "#汇总\r\n".encode("gbk")})
    assert list(parse_bill_zip(archive)) == EXPECTED


def test_a_zip_with_utf8_names_is_read_as_well() -> None:
    archive = bill_zip({"20880000000000010156_20261125_业务明细.csv": BILL.encode("gbk"),
                        "20880000000000010156_20261125_业务明细(汇总).csv": b""}, gbk_names=False)
    assert detail_csv(archive) == BILL.encode("gbk")


def test_an_empty_day_has_no_lines() -> None:
    assert parse_detail_csv(f"#支付宝业务明细查询\r\n{HEADER}\r\n#交易合计：0笔\r\n".encode("gbk")) == []


@pytest.mark.parametrize(("broken", "message"), [
    (BILL.replace("订单金额（元）", "金额"), "no column 订单金额（元）"),
    (BILL.replace(",10.50,10.50,", ",10.501,10.50,"), "line 6: 订单金额（元） '10.501' is not an amount"),
    (BILL.replace(",-3.05,", ",abc,"), "line 7: 订单金额（元） 'abc' is not an amount"),
    (BILL.replace(",10.50,10.50,", ",-10.50,10.50,"), "line 6: 订单金额（元） '-10.50'"),
    (BILL.replace("交易,停车费", "其他,停车费"), "line 6: 业务类型 '其他', expected 交易 or 退款"),
    (BILL.replace("2026-11-25 17:31:02", "2026/11/25 17:31"), "line 6: 完成时间"),
    (BILL.replace("R20261125B\t", ""), "line 7: a refund without 退款批次号/请求号"),
    (BILL.replace("2026112522001000000000000001\t,P20261125A\t,退款", ",P20261125A\t,退款"), "line 7: 支付宝交易号 is empty"),
    ("#only comments\r\n", "no column header"),
])
def test_a_bill_that_is_not_as_documented_is_refused_naming_line_and_column(broken: str, message: str) -> None:
    with pytest.raises(BillFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_detail_csv(broken.encode("gbk"))


def test_a_download_that_is_not_a_zip_or_has_no_detail_file_is_refused() -> None:
    with pytest.raises(BillFormatError, match="not a readable zip"):
        detail_csv(b"<html>expired</html>")
    with pytest.raises(BillFormatError, match="expected one 业务明细 CSV"):
        detail_csv(bill_zip({"x_业务明细(汇总).csv": b""}))
    with pytest.raises(BillFormatError, match="not GBK"):
        parse_detail_csv(b"\xff\xff\xff")
