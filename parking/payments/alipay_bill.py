"""Reading Alipay's daily trade bill (业务明细) into :class:`BillLine` values with exact fen.

``alipay.data.dataservice.bill.downloadurl.query`` (bill_type ``trade``) answers a short-lived URL of a
zip. The zip holds ``<pid>_<yyyymmdd>_业务明细.csv`` and ``..._业务明细(汇总).csv`` (the summary, which
we do not need); their names are GBK without the zip's UTF-8 flag. The detail file is GBK text:

    #支付宝业务明细查询
    #账号：[2088...]
    #起始日期：[2026年11月25日 00:00:00]   终止日期：[2026年11月26日 00:00:00]
    #-----------------------------------------业务明细列表----------------------------------------
    支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,...,订单金额（元）,商家实收（元）,...,退款批次号/请求号,...
    2026112522001...\t,P1\t,交易,停车费,2026-11-25 17:30:00,2026-11-25 17:31:02,...,10.00,10.00,...
    2026112522001...\t,P1\t,退款,停车费,2026-11-25 17:30:00,2026-11-25 18:00:00,...,-3.00,-3.00,...,R1\t,...
    #-----------------------------------------业务明细列表结束------------------------------------
    #交易合计：1笔，...

Lines starting with ``#`` are comments; the first other line names the columns (read by name, not by
position); numbers carry a trailing tab so that spreadsheets keep them as text. A refund line carries the
payment's 支付宝交易号 and our refund number in 退款批次号/请求号; its amount is negative, and a
:class:`BillLine` amount is positive for both kinds.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence

from parking.payments.alipay_wire import parse_shanghai, yuan_to_fen
from parking.payments.base import BillLine

MAX_CSV_BYTES = 64 * 1024 * 1024
DETAIL = "业务明细"
SUMMARY = "汇总"
KINDS = {"交易": "payment", "退款": "refund"}
COLUMNS = {
    "transaction_id": "支付宝交易号",
    "out_trade_no": "商户订单号",
    "kind": "业务类型",
    "finished": "完成时间",
    "amount": "订单金额（元）",
    "out_refund_no": "退款批次号/请求号",
}


class BillFormatError(ValueError):
    """The bill file is not what Alipay documents; the message names the line and the column."""


def member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's real name: GBK bytes when the UTF-8 flag is off (Python read them as cp437)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def detail_csv(archive: bytes) -> bytes:
    """The bytes of the 业务明细 CSV inside the downloaded zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            details = [i for i in zf.infolist() if member_name(i).endswith(".csv") and SUMMARY not in member_name(i)]
            if len(details) != 1:
                names = ", ".join(member_name(i) for i in zf.infolist()) or "nothing"
                raise BillFormatError(f"expected one {DETAIL} CSV in the bill zip, found: {names}")
            if details[0].file_size > MAX_CSV_BYTES:
                raise BillFormatError(f"{member_name(details[0])} is {details[0].file_size} bytes, over the limit")
            return zf.read(details[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise BillFormatError(f"the bill download is not a readable zip: {exc}") from None


def parse_detail_csv(data: bytes) -> list[BillLine]:
    """Every 交易 and 退款 line of a GBK 业务明细 CSV."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise BillFormatError(f"the bill is not GBK text (byte {exc.start})") from None
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    if not numbered:
        raise BillFormatError("the bill has no column header line")
    rows = csv.reader([line for _, line in numbered])
    header = [cell.strip() for cell in next(rows)]
    index: dict[str, int] = {}
    for key, column in COLUMNS.items():
        if column not in header:
            raise BillFormatError(f"line {numbered[0][0]}: no column {column}")
        index[key] = header.index(column)
    lines: list[BillLine] = []
    for (number, _), row in zip(numbered[1:], rows):
        cells = [cell.strip() for cell in row]  # strips the tab after numbers as well
        if len(cells) < len(header):
            raise BillFormatError(f"line {number}: {len(cells)} columns, the header has {len(header)}")
        lines.append(_line(number, {key: cells[i] for key, i in index.items()}))
    return lines


def _line(number: int, cell: dict[str, str]) -> BillLine:
    kind = KINDS.get(cell["kind"])
    if kind is None:
        raise BillFormatError(f"line {number}: {COLUMNS['kind']} {cell['kind']!r}, expected 交易 or 退款")
    amount = cell["amount"].removeprefix("-") if kind == "refund" else cell["amount"]
    try:
        fen = yuan_to_fen(amount)
    except ValueError:
        raise BillFormatError(f"line {number}: {COLUMNS['amount']} {cell['amount']!r} is not an amount in yuan") from None
    try:
        at = parse_shanghai(cell["finished"])
    except ValueError:
        raise BillFormatError(f"line {number}: {COLUMNS['finished']} {cell['finished']!r} is not a time") from None
    for key in ("transaction_id", "out_trade_no"):
        if not cell[key]:
            raise BillFormatError(f"line {number}: {COLUMNS[key]} is empty")
    if kind == "refund" and not cell["out_refund_no"]:
        raise BillFormatError(f"line {number}: a refund without {COLUMNS['out_refund_no']}")
    return BillLine(kind=kind, out_trade_no=cell["out_trade_no"], transaction_id=cell["transaction_id"],
                    amount_fen=fen, at=at, out_refund_no=cell["out_refund_no"] if kind == "refund" else "")


def parse_bill_zip(archive: bytes) -> Sequence[BillLine]:
    return parse_detail_csv(detail_csv(archive))
