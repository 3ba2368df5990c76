"""Alipay (支付宝) as a payment provider, over the published OpenAPI gateway with RSA2 keys.

A QR order is ``alipay.trade.precreate`` (当面付: its ``qr_code`` goes into the QR); a phone order is
``alipay.trade.wap.pay`` (手机网站支付): the gateway address with the signed query, which the payer's
browser opens; Alipay creates that trade only then. ``query``, ``close``, ``refund`` and ``bill`` are
``alipay.trade.query``, ``alipay.trade.close``, ``alipay.trade.refund`` (with
``alipay.trade.fastpay.refund.query`` when the answer does not say that money moved) and
``alipay.data.dataservice.bill.downloadurl.query``. Notifications are the form posts Alipay sends to the
``notify_url`` and retries for about 25 hours until it reads ``success``.

Written on ``cryptography`` and ``urllib`` rather than on ``python-alipay-sdk``: that SDK stamps the
request ``timestamp`` with the machine's local time (not Asia/Shanghai, and no clock can be injected),
finds the signed response node by counting braces (a ``}`` inside a value, such as a ``sub_msg``, cuts it
short), raises for unsigned error answers with the whole body as the message and no ``sub_code``, lets
network errors out unwrapped, and brings pycryptodome and pyOpenSSL beside ``cryptography``. Pointing it
at a test gateway was the easy part; the rest would have meant overriding most of it.

Wire details (signing content, amounts, times, the response node) live in
:mod:`parking.payments.alipay_wire`, the bill file in :mod:`parking.payments.alipay_bill`, the settings
in :mod:`parking.payments.alipay_config`.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from parking.payments.alipay_bill import BillFormatError, parse_bill_zip
from parking.payments.alipay_config import AlipayConfig, PaymentConfigError, load_alipay_config
from parking.payments.alipay_wire import (fen_to_yuan, notify_sign_content, parse_shanghai, request_sign_content,
                                          response_node, rsa2_sign, rsa2_verify, shanghai_text, yuan_to_fen)
from parking.payments.base import (BillLine, CallbackRejected, Notification, OrderRequest, OrderState, OrderStatus,
                                   ProviderError, ProviderOrder, RefundRequest, RefundResult, Reply)

__all__ = ["AlipayConfig", "AlipayProvider", "PaymentConfigError", "load_alipay_config"]

MAX_NOTIFICATION_BYTES = 64 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
MAX_BILL_BYTES = 64 * 1024 * 1024
NOTIFICATION_MAX_AGE = timedelta(hours=24)  # Alipay retries for about 25 h; older than a day is a replay
NOTIFICATION_MAX_AHEAD = timedelta(minutes=10)
MAX_FEN = 100_000_000 * 100  # Alipay's ceiling: 100 million yuan
OUT_NO = re.compile(r"[0-9A-Za-z_-]{1,32}")
TRADE_STATES: dict[str, OrderState] = {"WAIT_BUYER_PAY": "pending", "TRADE_SUCCESS": "paid",
                                       "TRADE_FINISHED": "paid", "TRADE_CLOSED": "closed"}
RETRYABLE_CODES = {"20000", "ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.ACQ.SYSTEM_ERROR"}
FORM_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AlipayProvider:
    """The Provider for ``config``'s app; ``clock`` stamps requests and expiry times."""

    method = "alipay"

    def __init__(self, config: AlipayConfig, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock

    # ------------------------------------------------------------------------------------- orders

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        _check_out_no("out_trade_no", order.out_trade_no)
        if isinstance(order.amount_fen, bool) or not isinstance(order.amount_fen, int) \
                or not 0 < order.amount_fen <= MAX_FEN:
            raise ProviderError(f"amount_fen {order.amount_fen!r}: expected 1 to {MAX_FEN} fen", code="INVALID_PARAMETER")
        if not order.description.strip():
            raise ProviderError("description: empty (Alipay shows it to the payer as the subject)",
                                code="INVALID_PARAMETER")
        biz: dict[str, str] = {"out_trade_no": order.out_trade_no, "total_amount": fen_to_yuan(order.amount_fen),
                               "subject": order.description[:256]}
        notify_url = order.notify_url or self.config.notify_url
        if order.scene == "phone":
            biz["product_code"] = "QUICK_WAP_WAY"
            if order.expires_at is not None:
                biz["time_expire"] = shanghai_text(self._future("expires_at", order.expires_at))
            extra = {"notify_url": notify_url, "return_url": self.config.return_url}
            params = self._signed("alipay.trade.wap.pay", biz, extra)
            joiner = "&" if "?" in self.config.gateway else "?"
            return ProviderOrder(out_trade_no=order.out_trade_no,
                                 pay_url=f"{self.config.gateway}{joiner}{urlencode(params)}")
        if order.scene != "qr":
            raise ProviderError(f"scene {order.scene!r}: expected qr or phone", code="INVALID_PARAMETER")
        biz["product_code"] = "FACE_TO_FACE_PAYMENT"
        if order.expires_at is not None:
            seconds = (self._future("expires_at", order.expires_at) - self.clock()).total_seconds()
            biz["timeout_express"] = f"{max(1, int(-(-seconds // 60)))}m"  # whole minutes, rounded up
        node = self._call("alipay.trade.precreate", biz, {"notify_url": notify_url})
        qr_code = node.get("qr_code")
        if not isinstance(qr_code, str) or not qr_code:
            raise ProviderError("alipay.trade.precreate answered without a qr_code", code="BAD_ANSWER")
        return ProviderOrder(out_trade_no=order.out_trade_no, qr_payload=qr_code)

    def query(self, out_trade_no: str) -> OrderStatus:
        _check_out_no("out_trade_no", out_trade_no)
        try:
            node = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        except ProviderError as exc:
            if exc.code == "ACQ.TRADE_NOT_EXIST":  # also a phone order whose page was never opened
                return OrderStatus(out_trade_no=out_trade_no, state="closed")
            raise
        status = str(node.get("trade_status", ""))
        state = TRADE_STATES.get(status)
        if state is None:
            raise ProviderError(f"alipay.trade.query: unknown trade_status {status!r}", code="BAD_ANSWER")
        paid_at = _answer_time(node, "send_pay_date")
        if state == "closed" and paid_at is not None:
            state = "refunded"  # a paid trade closes when refunded in full
        amount = _answer_amount(node, "total_amount") if state in ("paid", "refunded") else 0
        return OrderStatus(out_trade_no=out_trade_no, state=state, amount_fen=amount,
                           transaction_id=str(node.get("trade_no", "")), paid_at=paid_at,
                           payer=str(node.get("buyer_user_id") or node.get("buyer_open_id") or ""))

    def close(self, out_trade_no: str) -> None:
        _check_out_no("out_trade_no", out_trade_no)
        try:
            self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        except ProviderError as exc:
            if exc.code == "ACQ.TRADE_NOT_EXIST":
                # Nobody opened or scanned it, so there is no trade to close. A phone order's signed address
                # can still create one until its time_expire: give phone orders an expires_at.
                return
            if exc.code == "ACQ.TRADE_STATUS_ERROR":  # closed already, or paid: ask which
                status = self.query(out_trade_no)
                if status.state == "closed":
                    return
                raise ProviderError(f"order {out_trade_no} is {status.state} and cannot be closed",
                                    code=exc.code) from None
            raise

    # ------------------------------------------------------------------------------------ refunds

    def refund(self, request: RefundRequest) -> RefundResult:
        _check_out_no("out_trade_no", request.out_trade_no)
        _check_out_no("out_refund_no", request.out_refund_no)
        if isinstance(request.refund_fen, bool) or not isinstance(request.refund_fen, int) \
                or not 0 < request.refund_fen <= request.total_fen:
            raise ProviderError(f"refund_fen {request.refund_fen!r}: expected 1 to {request.total_fen} fen",
                                code="INVALID_PARAMETER")
        biz = {"out_trade_no": request.out_trade_no, "refund_amount": fen_to_yuan(request.refund_fen),
               "out_request_no": request.out_refund_no}
        if request.transaction_id:
            biz["trade_no"] = request.transaction_id
        if request.reason:
            biz["refund_reason"] = request.reason[:256]
        node = self._call("alipay.trade.refund", biz)
        if node.get("fund_change") == "Y":
            return RefundResult(out_refund_no=request.out_refund_no, state="refunded",
                                refunded_at=_answer_time(node, "gmt_refund_pay"))
        # "N" also answers a repeated request for a refund made before: the refund query has the last word.
        found = self._call("alipay.trade.fastpay.refund.query",
                           {"out_trade_no": request.out_trade_no, "out_request_no": request.out_refund_no,
                            "query_options": ["gmt_refund_pay"]})
        if found.get("refund_amount") and found.get("refund_status", "REFUND_SUCCESS") == "REFUND_SUCCESS":
            return RefundResult(out_refund_no=request.out_refund_no, state="refunded",
                                refunded_at=_answer_time(found, "gmt_refund_pay"))
        return RefundResult(out_refund_no=request.out_refund_no, state="pending")

    # --------------------------------------------------------------------------------------- bill

    def bill(self, day: date) -> Sequence[BillLine]:
        node = self._call("alipay.data.dataservice.bill.downloadurl.query",
                          {"bill_type": "trade", "bill_date": day.isoformat()})
        url = node.get("bill_download_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ProviderError(f"the bill of {day} came without a download address", code="BAD_ANSWER")
        archive = self._http(urllib.request.Request(url), limit=MAX_BILL_BYTES, what=f"the bill of {day}")
        try:
            return sorted(parse_bill_zip(archive), key=lambda line: (line.at, line.kind, line.out_refund_no))
        except BillFormatError as exc:
            raise ProviderError(f"the Alipay bill of {day}: {exc}", code="BAD_BILL") from None

    # ------------------------------------------------------------------------------ notifications

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        params = _read_form(headers, body)
        sign = params.get("sign", "")
        if not sign or params.get("sign_type", "RSA2") != "RSA2":
            raise CallbackRejected("signature", "the notification carries no RSA2 sign")
        if not rsa2_verify(self.config.alipay_public_key, notify_sign_content(params), sign):
            raise CallbackRejected("signature", "the notification's sign does not verify with the Alipay public key")
        if params.get("app_id") != self.config.app_id:
            raise CallbackRejected("merchant", f"app_id {params.get('app_id', '')!r} is not ours")
        if self.config.seller_id and params.get("seller_id") != self.config.seller_id:
            raise CallbackRejected("merchant", f"seller_id {params.get('seller_id', '')!r} is not ours")
        sent = _notified_time(params, "notify_time", required=True)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        if sent is None or now - sent > NOTIFICATION_MAX_AGE or sent - now > NOTIFICATION_MAX_AHEAD:
            raise CallbackRejected("timestamp", f"notify_time {params['notify_time']} is too far from now")
        for key in ("out_trade_no", "trade_no", "trade_status", "total_amount", "notify_id"):
            if not params.get(key):
                raise CallbackRejected("format", f"the notification has no {key}")
        state = TRADE_STATES.get(params["trade_status"])
        if state is None:
            raise CallbackRejected("format", f"trade_status {params['trade_status']!r} is not an Alipay trade status")
        amount = _notified_amount(params, "total_amount")
        refunded = _notified_amount(params, "refund_fee") if params.get("refund_fee") else 0
        if state == "closed" and refunded and refunded == amount:
            state = "refunded"  # a paid trade closes when refunded in full
        return Notification(out_trade_no=params["out_trade_no"], state=state, amount_fen=amount,
                            transaction_id=params["trade_no"], paid_at=_notified_time(params, "gmt_payment"),
                            notification_id=params["notify_id"], raw=dict(params))

    def reply(self, accepted: bool, message: str = "") -> Reply:
        # Alipay reads exactly "success"; anything else (here "fail") makes it post again later.
        return Reply(status=200, body=b"success" if accepted else b"fail", content_type="text/plain; charset=utf-8")

    # --------------------------------------------------------------------------------- the gateway

    def _future(self, field: str, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ProviderError(f"{field} {at!r}: expected an aware datetime", code="INVALID_PARAMETER")
        if at <= self.clock():
            raise ProviderError(f"{field} {at.isoformat()} has passed", code="INVALID_PARAMETER")
        return at

    def _signed(self, method: str, biz: Mapping[str, object], extra: Mapping[str, str] | None = None) -> dict[str, str]:
        params = {"app_id": self.config.app_id, "method": method, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "timestamp": shanghai_text(self.clock()), "version": "1.0",
                  **{k: v for k, v in (extra or {}).items() if v},
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
        params["sign"] = rsa2_sign(self.config.app_private_key, request_sign_content(params))
        return params

    def _call(self, method: str, biz: Mapping[str, object], extra: Mapping[str, str] | None = None) -> dict[str, object]:
        """The verified response node of a successful call (``code`` 10000); ProviderError otherwise."""
        body = urlencode(self._signed(method, biz, extra)).encode("ascii")
        request = urllib.request.Request(self.config.gateway, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json"})
        raw = self._http(request, limit=MAX_ANSWER_BYTES, what=method)
        try:
            text = raw.decode("utf-8")
            node_text, node, sign = response_node(text, method)
        except ValueError as exc:  # UnicodeDecodeError and json's errors are ValueErrors
            raise ProviderError(f"{method}: the gateway's answer is not Alipay JSON: {exc}", code="BAD_ANSWER") from None
        code = str(node.get("code", ""))
        if sign:
            if not rsa2_verify(self.config.alipay_public_key, node_text, sign):
                raise ProviderError(f"{method}: the answer's sign does not verify with the Alipay public key",
                                    code="BAD_SIGNATURE")
        elif code == "10000":
            raise ProviderError(f"{method}: the gateway answered success without a sign", code="BAD_SIGNATURE")
        if code != "10000":
            sub_code = str(node.get("sub_code") or code or "UNKNOWN")
            detail = node.get("sub_msg") or node.get("msg") or "no message"
            raise ProviderError(f"{method}: Alipay refused ({sub_code}): {detail}", code=sub_code,
                                retryable=sub_code in RETRYABLE_CODES or code in RETRYABLE_CODES)
        return node

    def _http(self, request: urllib.request.Request, *, limit: int, what: str) -> bytes:
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as reply:
                data = reply.read(limit + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise ProviderError(f"{what}: the Alipay gateway answered HTTP {exc.code}", code=f"HTTP_{exc.code}",
                                retryable=exc.code >= 500) from None
        except (urllib.error.URLError, OSError, socket.timeout, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProviderError(f"{what}: cannot reach the Alipay gateway: {reason}", code="NETWORK",
                                retryable=True) from None
        if len(data) > limit:
            raise ProviderError(f"{what}: the answer is over {limit} bytes", code="BAD_ANSWER")
        return data


# -------------------------------------------------------------------------------------------- helpers

def _check_out_no(field: str, value: str) -> None:
    if not isinstance(value, str) or not OUT_NO.fullmatch(value):
        raise ProviderError(f"{field} {value!r}: expected 1 to 32 of 0-9 A-Z a-z _ -", code="INVALID_PARAMETER")


def _answer_time(node: Mapping[str, object], key: str) -> datetime | None:
    value = node.get(key)
    if not value:
        return None
    try:
        return parse_shanghai(str(value))
    except ValueError as exc:
        raise ProviderError(f"the answer's {key}: {exc}", code="BAD_ANSWER") from None


def _answer_amount(node: Mapping[str, object], key: str) -> int:
    try:
        return yuan_to_fen(str(node.get(key, "")))
    except ValueError as exc:
        raise ProviderError(f"the answer's {key}: {exc}", code="BAD_ANSWER") from None


def _read_form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise CallbackRejected("format", f"the notification is {len(body)} bytes, over {MAX_NOTIFICATION_BYTES}")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    kind, _, rest = content_type.partition(";")
    if content_type and kind.strip().lower() != "application/x-www-form-urlencoded":
        raise CallbackRejected("format", f"Content-Type {content_type!r}: expected application/x-www-form-urlencoded")
    charset = "utf-8"
    for item in rest.split(";"):
        name, _, value = item.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    encoding = FORM_CHARSETS.get(charset)
    if encoding is None:
        raise CallbackRejected("format", f"charset {charset!r}: expected utf-8 or gbk")
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True, encoding=encoding,
                          errors="strict", max_num_fields=200)
    except (UnicodeError, ValueError) as exc:
        raise CallbackRejected("format", f"the notification is not a form: {exc}") from None
    if not pairs:
        raise CallbackRejected("format", "the notification is empty")
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise CallbackRejected("format", f"the notification repeats {key}")
        params[key] = value
    return params


def _notified_time(params: Mapping[str, str], key: str, *, required: bool = False) -> datetime | None:
    if not params.get(key):
        if required:
            raise CallbackRejected("format", f"the notification has no {key}")
        return None
    try:
        return parse_shanghai(params[key])
    except ValueError as exc:
        raise CallbackRejected("format", f"{key}: {exc}") from None


def _notified_amount(params: Mapping[str, str], key: str) -> int:
    try:
        return yuan_to_fen(params[key])
    except ValueError as exc:
        raise CallbackRejected("format", f"{key}: {exc}") from None
