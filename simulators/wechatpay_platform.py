"""The book of the WeChat Pay simulator: merchants, orders, payments and refunds, and the daily trade bill.

No HTTP here: :mod:`simulators.wechatpay` parses requests and calls these methods with the simulator's
clock; a refusal is a :class:`PlatformError` carrying the HTTP status, ``code`` and ``message`` the real
platform would answer. Order states follow the platform: NOTPAY → SUCCESS (paid) → REFUND (after any
refund), or NOTPAY → CLOSED. The bill of a day (Beijing time) lists payments by their success time and
refunds by the time they were asked for, in the published CSV layout.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import rsa

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
               "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
BILL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
FEE_RATE = Decimal("0.006")
_OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
_OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")


class PlatformError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Merchant:
    mchid: str
    appid: str
    serial: str  # the merchant API certificate's serial, upper-case hex
    public_key: rsa.RSAPublicKey = field(repr=False)
    apiv3_key: bytes = field(repr=False)
    key_mode: str = "certificate"  # how the merchant knows the platform: "certificate" or "public_key"


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    order: Order
    refund_fen: int
    reason: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        total = self.order.booked_fen
        return {"refund_id": self.refund_id, "out_refund_no": self.out_refund_no,
                "transaction_id": self.order.transaction_id, "out_trade_no": self.order.out_trade_no,
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱", "status": "SUCCESS",
                "success_time": rfc3339(self.created_at), "create_time": rfc3339(self.created_at),
                "funds_account": "AVAILABLE",
                "amount": {"total": total, "refund": self.refund_fen, "payer_total": total,
                           "payer_refund": self.refund_fen, "settlement_total": total,
                           "settlement_refund": self.refund_fen, "discount_refund": 0, "currency": "CNY"}}


@dataclass
class Order:
    merchant: Merchant
    out_trade_no: str
    description: str
    total_fen: int
    notify_url: str
    trade_type: str  # NATIVE or MWEB (H5)
    token: str
    created_at: datetime
    time_expire: datetime | None = None
    state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: datetime | None = None
    openid: str = ""
    paid_fen: int = 0  # what the platform booked as paid (the total, unless a payer was told to pay otherwise)
    refunds: list[Refund] = field(default_factory=list)

    @property
    def booked_fen(self) -> int:
        return self.paid_fen if self.success_time else self.total_fen

    @property
    def refunded_fen(self) -> int:
        return sum(r.refund_fen for r in self.refunds)

    def transaction(self) -> dict[str, object]:
        """The transaction object of queries and notifications."""
        data: dict[str, object] = {
            "appid": self.merchant.appid, "mchid": self.merchant.mchid, "out_trade_no": self.out_trade_no,
            "trade_type": self.trade_type, "trade_state": self.state, "trade_state_desc": _STATE_TEXT[self.state],
            "attach": "", "amount": {"total": self.booked_fen, "currency": "CNY"},
        }
        if self.success_time is not None:
            data.update(transaction_id=self.transaction_id, bank_type="OTHERS",
                        success_time=rfc3339(self.success_time), payer={"openid": self.openid})
            data["amount"] = {"total": self.paid_fen, "payer_total": self.paid_fen, "currency": "CNY",
                              "payer_currency": "CNY"}
        return data


_STATE_TEXT = {"NOTPAY": "未支付", "SUCCESS": "支付成功", "CLOSED": "已关闭", "REFUND": "转入退款"}


def rfc3339(at: datetime) -> str:
    return at.astimezone(CHINA).replace(microsecond=0).isoformat()


def yuan(fen: int | Decimal, places: int = 2) -> str:
    return f"{(Decimal(fen) / 100).quantize(Decimal(1).scaleb(-places))}"


class Platform:
    """Thread-safe: the HTTP server and the control endpoints call it from many threads."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.merchants: dict[str, Merchant] = {}
        self.orders: dict[tuple[str, str], Order] = {}
        self.by_token: dict[str, Order] = {}
        self.refunds: dict[tuple[str, str], Refund] = {}
        # Numbers continue from a random point, so a platform started again never repeats a transaction id
        # (as the real one never does): a ledger that kept the first run's payments refuses repeats.
        self._sequence = secrets.randbelow(10**9) * 1000

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    # ------------------------------------------------------------------------------------------ orders

    def create(self, merchant: Merchant, body: dict[str, object], trade_type: str, now: datetime) -> Order:
        if body.get("mchid") != merchant.mchid:
            raise PlatformError(400, "PARAM_ERROR", f"mchid {body.get('mchid')!r} 与请求头的商户号不一致")
        if body.get("appid") != merchant.appid:
            raise PlatformError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        no, description, notify_url = body.get("out_trade_no"), body.get("description"), body.get("notify_url")
        if not isinstance(no, str) or not _OUT_TRADE_NO.match(no):
            raise PlatformError(400, "PARAM_ERROR", f"out_trade_no {no!r}: 6-32 位数字、大小写字母_-|*")
        if not isinstance(description, str) or not 1 <= len(description) <= 127:
            raise PlatformError(400, "PARAM_ERROR", "description 长度应为 1-127")
        if not isinstance(notify_url, str) or not notify_url.startswith(("http://", "https://")):
            raise PlatformError(400, "PARAM_ERROR", f"notify_url {notify_url!r} 不是 http(s) 地址")
        amount = body.get("amount")
        total = amount.get("total") if isinstance(amount, dict) else None
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            raise PlatformError(400, "PARAM_ERROR", f"amount.total {total!r} 应为大于 0 的整数（分）")
        if isinstance(amount, dict) and amount.get("currency", "CNY") != "CNY":
            raise PlatformError(400, "PARAM_ERROR", "amount.currency 只支持 CNY")
        expire = None
        if body.get("time_expire") is not None:
            try:
                expire = datetime.fromisoformat(str(body["time_expire"]))
                if expire.tzinfo is None:
                    raise ValueError("no time zone")
            except ValueError as exc:
                raise PlatformError(400, "PARAM_ERROR", f"time_expire 格式错误: {exc}") from exc
        if trade_type == "MWEB":
            scene = body.get("scene_info")
            h5 = scene.get("h5_info") if isinstance(scene, dict) else None
            if not isinstance(scene, dict) or not scene.get("payer_client_ip") or not isinstance(h5, dict) \
                    or not h5.get("type"):
                raise PlatformError(400, "PARAM_ERROR", "scene_info.payer_client_ip 与 scene_info.h5_info.type 必填")
        with self.lock:
            existing = self.orders.get((merchant.mchid, no))
            if existing is not None:
                if existing.state in ("SUCCESS", "REFUND"):
                    raise PlatformError(400, "ORDERPAID", "该订单已支付")
                if existing.state == "CLOSED":
                    raise PlatformError(400, "ORDER_CLOSED", "订单已关闭")
                if (existing.total_fen, existing.trade_type, existing.description) != (total, trade_type, description):
                    raise PlatformError(400, "INVALID_REQUEST", "201 商户订单号重复，且与原订单参数不一致")
                return existing
            order = Order(merchant, no, description, total, notify_url, trade_type, secrets.token_urlsafe(12),
                          now, time_expire=expire)
            self.orders[(merchant.mchid, no)] = order
            self.by_token[order.token] = order
            return order

    def find(self, mchid: str, out_trade_no: str) -> Order:
        with self.lock:
            order = self.orders.get((mchid, out_trade_no))
        if order is None:
            raise PlatformError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def find_for_payer(self, *, out_trade_no: str = "", code_url: str = "", token: str = "",
                       mchid: str = "") -> Order:
        """The order a payer acts on, named by our number (and merchant, if several hold it) or by its code."""
        with self.lock:
            if code_url:
                token = code_url.partition("pr=")[2]
            if token:
                order = self.by_token.get(token)
            else:
                matches = [o for (m, no), o in self.orders.items() if no == out_trade_no and mchid in ("", m)]
                if len(matches) > 1:
                    raise PlatformError(400, "PARAM_ERROR", f"{out_trade_no} exists for several merchants; give mchid")
                order = matches[0] if matches else None
        if order is None:
            raise PlatformError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def close(self, order: Order) -> None:
        with self.lock:
            if order.state in ("SUCCESS", "REFUND"):
                raise PlatformError(400, "ORDERPAID", "订单已支付，不能关闭")
            order.state = "CLOSED"

    def pay(self, order: Order, now: datetime, amount_fen: int | None = None) -> Order:
        with self.lock:
            if order.state in ("SUCCESS", "REFUND"):
                raise PlatformError(409, "ORDERPAID", "该订单已支付")
            if order.state == "CLOSED":
                raise PlatformError(409, "ORDER_CLOSED", "订单已关闭")
            if order.time_expire is not None and now > order.time_expire:
                raise PlatformError(409, "ORDER_EXPIRED", "订单已过期，无法支付")
            paid = order.total_fen if amount_fen is None else amount_fen
            if isinstance(paid, bool) or not isinstance(paid, int) or paid <= 0:
                raise PlatformError(400, "PARAM_ERROR", f"amount_fen {amount_fen!r} 应为大于 0 的整数")
            order.state, order.paid_fen, order.success_time = "SUCCESS", paid, now
            order.transaction_id = f"42000001{now.astimezone(CHINA):%Y%m%d}{self._next():012d}"
            order.openid = "oSim" + hashlib.sha256(order.token.encode()).hexdigest()[:24]
            return order

    # ----------------------------------------------------------------------------------------- refunds

    def refund(self, merchant: Merchant, body: dict[str, object], now: datetime) -> Refund:
        number = body.get("out_refund_no")
        if not isinstance(number, str) or not _OUT_REFUND_NO.match(number):
            raise PlatformError(400, "PARAM_ERROR", f"out_refund_no {number!r}: 1-64 位数字、大小写字母_-|*@")
        amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
        refund, total = amount.get("refund"), amount.get("total")  # type: ignore[union-attr]
        for name, value in (("refund", refund), ("total", total)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise PlatformError(400, "PARAM_ERROR", f"amount.{name} {value!r} 应为大于 0 的整数（分）")
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 80:
            raise PlatformError(400, "PARAM_ERROR", "reason 不超过 80 个字符")
        with self.lock:
            if body.get("transaction_id"):
                order = next((o for (m, _), o in self.orders.items()
                              if m == merchant.mchid and o.transaction_id == body["transaction_id"]), None)
            else:
                order = self.orders.get((merchant.mchid, str(body.get("out_trade_no"))))
            if order is None:
                raise PlatformError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            done = self.refunds.get((merchant.mchid, number))
            if done is not None:
                if done.order is not order or done.refund_fen != refund:
                    raise PlatformError(400, "INVALID_REQUEST", "商户退款单号已用于另一笔退款")
                return done
            if order.state not in ("SUCCESS", "REFUND"):
                raise PlatformError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if total != order.booked_fen:
                raise PlatformError(400, "PARAM_ERROR", f"amount.total {total} 与订单金额 {order.booked_fen} 不一致")
            if order.refunded_fen + refund > order.booked_fen:  # type: ignore[operator]
                raise PlatformError(400, "INVALID_REQUEST", f"申请退款金额超过订单可退金额（可退 "
                                    f"{order.booked_fen - order.refunded_fen} 分）")
            made = Refund(number, f"50300{now.astimezone(CHINA):%Y%m%d}{self._next():016d}", order,
                          refund, reason, now)  # type: ignore[arg-type]
            order.refunds.append(made)
            order.state = "REFUND"
            self.refunds[(merchant.mchid, number)] = made
            return made

    # -------------------------------------------------------------------------------------------- bill

    def bill(self, mchid: str, day: date) -> bytes | None:
        """The ALL trade bill of ``day`` in Beijing time, or None when nothing happened that day."""
        rows: list[tuple[datetime, list[str], tuple[int, int, int, Decimal, int]]] = []
        with self.lock:
            for order in (o for (m, _), o in self.orders.items() if m == mchid):
                if order.success_time and order.success_time.astimezone(CHINA).date() == day:
                    fee = Decimal(order.paid_fen) * FEE_RATE
                    rows.append((order.success_time, _bill_row(order, order.success_time, "SUCCESS", fee, None),
                                 (order.paid_fen, 0, order.paid_fen, fee, 0)))
                for refund in order.refunds:
                    if refund.created_at.astimezone(CHINA).date() == day:
                        fee = -Decimal(refund.refund_fen) * FEE_RATE
                        rows.append((refund.created_at, _bill_row(order, refund.created_at, "REFUND", fee, refund),
                                     (0, refund.refund_fen, order.paid_fen, fee, refund.refund_fen)))
        if not rows:
            return None
        rows.sort(key=lambda row: row[0])
        sums = [sum(row[2][i] for row in rows) for i in range(5)]
        lines = [BILL_HEADER, *("`" + ",`".join(row[1]) for row in rows), BILL_SUMMARY,
                 "`" + ",`".join([str(len(rows)), yuan(sums[0]), yuan(sums[1]), "0.00", yuan(sums[3], 5),
                                  yuan(sums[2]), yuan(sums[4])])]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def listing(self) -> list[dict[str, object]]:
        with self.lock:
            return [{**o.transaction(), "description": o.description, "notify_url": o.notify_url,
                     "code_url": code_url(o) if o.trade_type == "NATIVE" else "",
                     "refunds": [r.as_json() for r in o.refunds]} for o in self.orders.values()]


def code_url(order: Order) -> str:
    return f"weixin://wxpay/bizpayurl?pr={order.token}"


def _bill_row(order: Order, at: datetime, state: str, fee: Decimal, refund: Refund | None) -> list[str]:
    description = re.sub(r"[\r\n`]", " ", order.description)
    m = order.merchant
    refunded = refund is not None
    return [f"{at.astimezone(CHINA):%Y-%m-%d %H:%M:%S}", m.appid, m.mchid, "0", "", order.transaction_id,
            order.out_trade_no, order.openid, order.trade_type, state, "OTHERS", "CNY",
            "0.00" if refunded else yuan(order.paid_fen), "0.00",
            refund.refund_id if refund else "0", refund.out_refund_no if refund else "0",
            yuan(refund.refund_fen) if refund else "0.00", "0.00",
            "ORIGINAL" if refunded else "", "SUCCESS" if refunded else "", description, "",
            yuan(fee, 5), "0.60%", yuan(order.paid_fen), yuan(refund.refund_fen) if refund else "0.00", ""]
