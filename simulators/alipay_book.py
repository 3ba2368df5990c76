"""The simulated Alipay's trades: their life (wait, paid, closed, refunded) and the daily bill it serves.

:class:`TradeBook` holds the rules the gateway applies to ``biz_content``: an order number reused with
another amount or subject is refused, a paid trade cannot be closed, refunds add up to the total at most
(the trade closes when refunded in full), a refund number repeated with the same amount is answered again
without moving money. It raises :class:`Refusal` with Alipay's codes. :func:`bill_zip` writes the
``trade`` bill of one Asia/Shanghai day as Alipay does: a zip of GBK CSVs with GBK member names.

Plain data and rules only; the HTTP side, signatures and notifications are in :mod:`simulators.alipay`.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
OUT_NO = re.compile(r"[0-9A-Za-z_-]{1,64}")
YUAN = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?")
TIMEOUT = re.compile(r"([1-9][0-9]{0,4})([mhd])|1c")
FEE_RATE = Decimal("0.006")
BILL_HEADER = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
               "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
               "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注").split(",")


class Refusal(Exception):
    """A gateway answer other than success: ``code``/``msg`` and the ``sub_code``/``sub_msg`` that name why."""

    def __init__(self, code: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(f"{sub_code}: {sub_msg}")
        self.code, self.sub_code, self.sub_msg = code, sub_code, sub_msg
        self.msg = {"40001": "Missing Required Arguments", "40002": "Invalid Arguments",
                    "40004": "Business Failed", "20000": "Service Currently Unavailable"}.get(code, "Error")


def invalid(param: str, problem: str) -> Refusal:
    return Refusal("40004", "ACQ.INVALID_PARAMETER", f"参数无效: {param} {problem}")


def shanghai(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def yuan(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-2):.2f}"


def read_yuan(biz: dict[str, object], key: str) -> int:
    value = biz.get(key)
    if not isinstance(value, str) or not YUAN.fullmatch(value):
        raise invalid(key, f"{value!r}: expected yuan with at most two decimals")
    fen = int(Decimal(value).scaleb(2))
    if fen < 1:
        raise invalid(key, "must be at least 0.01")
    return fen


def read_text(biz: dict[str, object], key: str, limit: int, *, required: bool = True) -> str:
    value = biz.get(key, "")
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise invalid(key, f"{value!r}: expected text of 1 to {limit} characters")
    return value


@dataclass
class Refund:
    out_request_no: str
    fen: int
    at: datetime
    reason: str = ""


@dataclass
class Trade:
    app_id: str
    out_trade_no: str
    trade_no: str
    fen: int
    subject: str
    product_code: str
    notify_url: str
    created_at: datetime
    expires_at: datetime | None = None
    return_url: str = ""
    status: str = "WAIT_BUYER_PAY"
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    buyer_id: str = ""
    buyer_logon_id: str = ""
    qr_code: str = ""
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded_fen(self) -> int:
        return sum(r.fen for r in self.refunds)

    def as_json(self) -> dict[str, object]:
        return {"app_id": self.app_id, "out_trade_no": self.out_trade_no, "trade_no": self.trade_no,
                "total_amount": yuan(self.fen), "subject": self.subject, "product_code": self.product_code,
                "trade_status": self.status, "notify_url": self.notify_url, "qr_code": self.qr_code,
                "buyer_id": self.buyer_id, "time_expire": shanghai(self.expires_at) if self.expires_at else "",
                "gmt_create": shanghai(self.created_at),
                "gmt_payment": shanghai(self.paid_at) if self.paid_at else "",
                "gmt_close": shanghai(self.closed_at) if self.closed_at else "",
                "refunds": [{"out_request_no": r.out_request_no, "refund_amount": yuan(r.fen),
                             "gmt_refund": shanghai(r.at)} for r in self.refunds]}


class TradeBook:
    """Every trade the simulated Alipay knows, by (app_id, out_trade_no). Not locked: the caller locks."""

    def __init__(self) -> None:
        self.trades: dict[tuple[str, str], Trade] = {}
        # Trade numbers continue from a random point, so a gateway started again never repeats one.
        self._numbers = itertools.count(secrets.randbelow(10**8) * 1000 + 1)

    def open(self, app_id: str, biz: dict[str, object], *, product_code: str, notify_url: str, return_url: str,
             now: datetime) -> Trade:
        """The trade of a precreate or a wap page; the same order again is the same trade."""
        out_trade_no = read_text(biz, "out_trade_no", 64)
        if not OUT_NO.fullmatch(out_trade_no):
            raise invalid("out_trade_no", f"{out_trade_no!r}: only letters, digits, _ and -")
        fen = read_yuan(biz, "total_amount")
        subject = read_text(biz, "subject", 256)
        given = biz.get("product_code", product_code)
        if given != product_code:
            raise invalid("product_code", f"{given!r}: expected {product_code}")
        expires_at = self._expiry(biz, now)
        self.expire(now)
        trade = self.trades.get((app_id, out_trade_no))
        if trade is not None:
            if trade.fen != fen or trade.subject != subject:
                raise Refusal("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改: 同一订单号的金额或标题不同")
            if trade.status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                raise Refusal("40004", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if trade.status == "TRADE_CLOSED":
                raise Refusal("40004", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            return trade
        n = next(self._numbers)
        trade = Trade(app_id=app_id, out_trade_no=out_trade_no, trade_no=f"{now.astimezone(SHANGHAI):%Y%m%d}22001{n:015d}",
                      fen=fen, subject=subject, product_code=product_code, notify_url=notify_url,
                      return_url=return_url, created_at=now, expires_at=expires_at,
                      buyer_id=f"2088{n:012d}", buyer_logon_id=f"158****{n % 10000:04d}")
        if product_code == "FACE_TO_FACE_PAYMENT":
            trade.qr_code = f"https://qr.alipay.com/bax{secrets.token_hex(10)}"
        self.trades[(app_id, out_trade_no)] = trade
        return trade

    @staticmethod
    def _expiry(biz: dict[str, object], now: datetime) -> datetime | None:
        if biz.get("time_expire"):
            text = str(biz["time_expire"])
            try:
                at = datetime.strptime(text, TIME_FORMAT).replace(tzinfo=SHANGHAI)
            except ValueError:
                raise invalid("time_expire", f"{text!r}: expected YYYY-MM-DD HH:MM:SS") from None
            if at <= now:
                raise invalid("time_expire", f"{text} has passed")
            return at
        if biz.get("timeout_express"):
            text = str(biz["timeout_express"])
            match = TIMEOUT.fullmatch(text)
            if not match:
                raise invalid("timeout_express", f"{text!r}: expected 1m to 15d, or 1c")
            if text == "1c":
                day = now.astimezone(SHANGHAI).date() + timedelta(days=1)
                return datetime.combine(day, time(), SHANGHAI)
            unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
            return now + timedelta(**{unit: int(match.group(1))})
        return None

    def expire(self, now: datetime) -> None:
        for trade in self.trades.values():
            if trade.status == "WAIT_BUYER_PAY" and trade.expires_at is not None and trade.expires_at <= now:
                trade.status, trade.closed_at = "TRADE_CLOSED", trade.expires_at

    def find(self, app_id: str, biz: dict[str, object], now: datetime) -> Trade:
        self.expire(now)
        out_trade_no, trade_no = biz.get("out_trade_no"), biz.get("trade_no")
        if not out_trade_no and not trade_no:
            raise invalid("out_trade_no", "or trade_no is required")
        for trade in self.trades.values():
            if trade.app_id == app_id and (trade.out_trade_no == out_trade_no or trade.trade_no == trade_no):
                return trade
        raise Refusal("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")

    def pay(self, trade: Trade, now: datetime) -> None:
        self.expire(now)
        if trade.status != "WAIT_BUYER_PAY":
            raise Refusal("40004", "ACQ.TRADE_STATUS_ERROR", f"交易状态不合法: {trade.status}")
        trade.status, trade.paid_at = "TRADE_SUCCESS", now

    def close(self, trade: Trade, now: datetime) -> None:
        if trade.status != "WAIT_BUYER_PAY":
            raise Refusal("40004", "ACQ.TRADE_STATUS_ERROR", f"交易状态不合法: {trade.status}")
        trade.status, trade.closed_at = "TRADE_CLOSED", now

    def refund(self, trade: Trade, biz: dict[str, object], now: datetime) -> tuple[Refund, bool]:
        """The refund asked for, and whether money moved now (False: the same request answered again)."""
        fen = read_yuan(biz, "refund_amount")
        number = read_text(biz, "out_request_no", 64, required=False) or trade.out_trade_no
        for done in trade.refunds:
            if done.out_request_no == number:
                if done.fen != fen:
                    raise Refusal("40004", "ACQ.CONTEXT_INCONSISTENT", f"退款请求号 {number} 已用于另一金额的退款")
                return done, False
        if trade.status != "TRADE_SUCCESS":
            raise Refusal("40004", "ACQ.TRADE_STATUS_ERROR", f"交易状态不合法: {trade.status}")
        if trade.refunded_fen + fen > trade.fen:
            raise Refusal("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                          f"退款金额超限: 已退 {yuan(trade.refunded_fen)} 元, 订单 {yuan(trade.fen)} 元")
        refund = Refund(out_request_no=number, fen=fen, at=now, reason=str(biz.get("refund_reason", "")))
        trade.refunds.append(refund)
        if trade.refunded_fen == trade.fen:
            trade.status, trade.closed_at = "TRADE_CLOSED", now
        return refund, True


# ---------------------------------------------------------------------------------------------- bills

class _GbkName(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as Alipay's bill zips are (zipfile writes UTF-8)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # zipfile's hook for the stored name
        return self.filename.encode("gbk"), self.flag_bits


def bill_zip(trades: list[Trade], day: date, seller_id: str, now: datetime) -> bytes:
    """The ``trade`` bill of ``day`` (Asia/Shanghai): payments by payment time, refunds by refund time."""
    rows: list[tuple[datetime, list[str]]] = []
    for t in trades:
        if t.paid_at and t.paid_at.astimezone(SHANGHAI).date() == day:
            rows.append((t.paid_at, _bill_row(t, "交易", t.paid_at, t.fen, "")))
        for r in t.refunds:
            if r.at.astimezone(SHANGHAI).date() == day:
                rows.append((r.at, _bill_row(t, "退款", r.at, -r.fen, r.out_request_no)))
    rows.sort(key=lambda row: row[0])
    start = datetime.combine(day, time(), SHANGHAI)
    stamp = f"{day:%Y%m%d}"
    paid = sum(t.fen for t in trades if t.paid_at and t.paid_at.astimezone(SHANGHAI).date() == day)
    refunded = sum(r.fen for t in trades for r in t.refunds if r.at.astimezone(SHANGHAI).date() == day)
    out = io.StringIO()
    out.write(f"#支付宝业务明细查询\r\n#账号：[{seller_id}0156]\r\n"
              f"#起始日期：[{start:%Y年%m月%d日 %H:%M:%S}]   终止日期：[{start + timedelta(days=1):%Y年%m月%d日 %H:%M:%S}]\r\n"
              "#-----------------------------------------业务明细列表----------------------------------------\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BILL_HEADER)
    writer.writerows(row for _, row in rows)
    payments = sum(1 for _, row in rows if row[2] == "交易")
    out.write("#-----------------------------------------业务明细列表结束------------------------------------\r\n"
              f"#交易合计：{payments}笔，退款合计：{len(rows) - payments}笔，"
              f"商家实收共：{yuan(paid)}元，商家实收退款共：{yuan(refunded)}元\r\n"
              f"#导出时间：[{now.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M:%S}]\r\n")
    summary = (f"#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）\r\n"
               f"合计,,{payments},{len(rows) - payments},{yuan(paid - refunded)},{yuan(paid - refunded)}\r\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in ((f"{seller_id}0156_{stamp}_业务明细.csv", out.getvalue()),
                           (f"{seller_id}0156_{stamp}_业务明细(汇总).csv", summary)):
            info = _GbkName(name, date_time=now.astimezone(SHANGHAI).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("gbk", errors="replace"))
    return buffer.getvalue()


def _bill_row(t: Trade, kind: str, at: datetime, fen: int, request_no: str) -> list[str]:
    fee = -(Decimal(fen).scaleb(-2) * FEE_RATE).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return [f"{t.trade_no}\t", f"{t.out_trade_no}\t", kind, t.subject, shanghai(t.created_at), shanghai(at),
            "", "", "", "", t.buyer_logon_id, yuan(fen), yuan(fen), "0.00", "0.00", "0.00", "0.00", "0.00", "",
            "0.00", "0.00", f"{request_no}\t" if request_no else "", f"{fee:.2f}", "0.00", ""]
