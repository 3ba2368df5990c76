"""WeChat Pay (微信支付) APIv3 as a payment provider: Native (QR) and H5 orders, notifications, query, close,
refund, and the daily trade bill, in fen.

    create_order  POST /v3/pay/transactions/native → code_url (scene "qr")
                  POST /v3/pay/transactions/h5     → h5_url   (scene "phone")
    query         GET  /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=   (404 ORDER_NOT_EXIST: closed)
    close         POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close    (204)
    refund        POST /v3/refund/domestic/refunds
    bill          GET  /v3/bill/tradebill?bill_date=&bill_type=ALL → download_url → the CSV file

Written on ``cryptography`` and ``http.client`` from the published specification, not on the ``wechatpayv3``
SDK: its core hard-codes the gateway, downloads ``/v3/certificates`` while it is being constructed, raises
bare ``Exception``, answers a callback it cannot read with ``None`` whatever the cause (the ledger audits the
cause), fetches certificates over the network for any unknown serial a caller sends, and does not check a
notification's timestamp. Pointing it at a simulator and getting those answers out of it would take more
code than the protocol itself, which is small: see :mod:`parking.payments.wechat_signing`.

Configuration: :mod:`parking.payments.wechat_config`; HTTP, signatures and errors:
:mod:`parking.payments.wechat_http`; notifications: :mod:`parking.payments.wechat_notifications`; the bill
file: :mod:`parking.payments.wechat_bill`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, quote, urlsplit

from cryptography import x509

from parking.payments.base import (BillLine, Method, Notification, OrderRequest, OrderStatus, ProviderError,
                                   ProviderOrder, RefundRequest, RefundResult, RefundState, Reply)
from parking.payments.wechat_bill import CHINA, parse_trade_bill
from parking.payments.wechat_config import PaymentConfigError, WeChatPayConfig, load_wechatpay_config
from parking.payments.wechat_http import WeChatPayClient, sha1_matches
from parking.payments.wechat_notifications import FieldProblem, parse_notification, parse_time, read_transaction
from parking.payments.wechat_signing import ResourceUnreadable, decrypt_resource

__all__ = ["PaymentConfigError", "WeChatPayConfig", "WeChatPayProvider", "load_wechatpay_config"]

REFUND_STATES: Mapping[str, RefundState] = {"SUCCESS": "refunded", "PROCESSING": "pending",
                                            "ABNORMAL": "failed", "CLOSED": "failed"}
_ORDER_NUMBER = re.compile(r"^[0-9A-Za-z_\-|*@]+$")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WeChatPayProvider:
    method: Method = "wechat"

    def __init__(self, config: WeChatPayConfig, *, http_timeout: float | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock  # request timestamps and the freshness of answers; the platform allows 5 minutes
        self.client = WeChatPayClient(config, timeout=http_timeout or config.timeout_seconds, clock=clock)

    # ------------------------------------------------------------------------------------------ orders

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        _check_number("out_trade_no", order.out_trade_no)
        if isinstance(order.amount_fen, bool) or not isinstance(order.amount_fen, int):
            raise ProviderError(f"amount_fen {order.amount_fen!r} is not a whole number of fen", code="PARAM_ERROR")
        body: dict[str, object] = {
            "appid": self.config.appid, "mchid": self.config.mchid, "description": order.description,
            "out_trade_no": order.out_trade_no, "notify_url": order.notify_url or self.config.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        if order.expires_at is not None:
            body["time_expire"] = rfc3339(order.expires_at)
        what = f"place order {order.out_trade_no}"
        if order.scene == "qr":
            answer = self.client.call("POST", "/v3/pay/transactions/native", body=body, what=what)
            return ProviderOrder(order.out_trade_no, qr_payload=_answer_text(answer.data, "code_url", what))
        if order.scene == "phone":
            body["scene_info"] = {"payer_client_ip": order.client_ip, "h5_info": {"type": "Wap"}}
            answer = self.client.call("POST", "/v3/pay/transactions/h5", body=body, what=what)
            h5_url = _answer_text(answer.data, "h5_url", what)
            prepay = parse_qs(urlsplit(h5_url).query).get("prepay_id", [""])[0]
            return ProviderOrder(order.out_trade_no, pay_url=h5_url, provider_order_id=prepay)
        raise ProviderError(f"scene {order.scene!r} is neither 'qr' nor 'phone'", code="PARAM_ERROR")

    def query(self, out_trade_no: str) -> OrderStatus:
        _check_number("out_trade_no", out_trade_no)
        what = f"query order {out_trade_no}"
        try:
            answer = self.client.call("GET", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}",
                                      query={"mchid": self.config.mchid}, what=what)
        except ProviderError as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return OrderStatus(out_trade_no, "closed")
            raise
        try:
            trade = read_transaction(answer.data)
        except FieldProblem as exc:
            raise ProviderError(f"WeChat Pay answered {what} without a usable {exc}", code="BAD_ANSWER") from exc
        if trade.out_trade_no != out_trade_no or trade.mchid != self.config.mchid:
            raise ProviderError(f"WeChat Pay answered {what} about order {trade.out_trade_no} of merchant "
                                f"{trade.mchid}", code="BAD_ANSWER")
        return OrderStatus(out_trade_no, trade.state, amount_fen=trade.amount_fen,
                           transaction_id=trade.transaction_id, paid_at=trade.paid_at, payer=trade.payer)

    def close(self, out_trade_no: str) -> None:
        _check_number("out_trade_no", out_trade_no)
        try:
            self.client.call("POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close",
                             body={"mchid": self.config.mchid}, what=f"close order {out_trade_no}")
        except ProviderError as exc:
            if exc.code != "ORDER_NOT_EXIST":  # an order the platform never had cannot be paid either
                raise

    # ---------------------------------------------------------------------------------- notifications

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        return parse_notification(self.config, headers, body, now)

    def reply(self, accepted: bool, message: str = "") -> Reply:
        if accepted:
            return Reply(200, b"")
        body = {"code": "FAIL", "message": message or "失败"}
        return Reply(500, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    # ------------------------------------------------------------------------------- refunds and bills

    def refund(self, request: RefundRequest) -> RefundResult:
        _check_number("out_trade_no", request.out_trade_no)
        _check_number("out_refund_no", request.out_refund_no, minimum=1, maximum=64)
        body: dict[str, object] = {
            "out_trade_no": request.out_trade_no, "out_refund_no": request.out_refund_no,
            "amount": {"refund": request.refund_fen, "total": request.total_fen, "currency": "CNY"},
        }
        if request.reason:
            body["reason"] = request.reason
        what = f"refund {request.out_refund_no} of order {request.out_trade_no}"
        data = self.client.call("POST", "/v3/refund/domestic/refunds", body=body, what=what).data
        status = _answer_text(data, "status", what)
        state = REFUND_STATES.get(status)
        if state is None:
            raise ProviderError(f"WeChat Pay answered {what} with status {status!r}", code="BAD_ANSWER")
        refunded_at = None
        if state == "refunded" and isinstance(data.get("success_time"), str):
            try:
                refunded_at = parse_time(str(data["success_time"]))
            except ValueError as exc:
                raise ProviderError(f"WeChat Pay answered {what} with success_time {data['success_time']!r}",
                                    code="BAD_ANSWER") from exc
        return RefundResult(request.out_refund_no, state, refund_id=_answer_text(data, "refund_id", what),
                            refunded_at=refunded_at)

    def bill(self, day: date) -> list[BillLine]:
        what = f"give the trade bill of {day.isoformat()}"
        try:
            data = self.client.call("GET", "/v3/bill/tradebill", what=what,
                                    query={"bill_date": day.isoformat(), "bill_type": "ALL"}).data
        except ProviderError as exc:
            if exc.code == "NO_STATEMENT_EXIST":  # a day without a single payment or refund
                return []
            if exc.code == "STATEMENT_CREATING":
                raise ProviderError(exc.message, code=exc.code, retryable=True) from exc
            raise
        raw = self.client.download(_answer_text(data, "download_url", what), what=what)
        hash_type, hash_value = data.get("hash_type", "SHA1"), data.get("hash_value")
        if hash_type != "SHA1" or not isinstance(hash_value, str) or not sha1_matches(raw, hash_value):
            raise ProviderError(f"the trade bill of {day.isoformat()} does not match the {hash_type} hash WeChat "
                                f"Pay gave ({hash_value!r}): incomplete or altered", code="BAD_BILL")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProviderError(f"the trade bill of {day.isoformat()} is not UTF-8 text", code="BAD_BILL") from exc
        return parse_trade_bill(text)

    def download_platform_certificates(self) -> dict[str, str]:
        """The platform certificates ``/v3/certificates`` offers now, serial → PEM, for rotating the configured
        folder. Each is sealed with the APIv3 key, which authenticates it; the answer's own signature is not
        required, since it may come from a certificate this merchant does not hold yet."""
        what = "list the platform certificates"
        data = self.client.call("GET", "/v3/certificates", what=what, signed=False).data
        items = data.get("data")
        if not isinstance(items, list):
            raise ProviderError(f"WeChat Pay answered {what} without a data list", code="BAD_ANSWER")
        found: dict[str, str] = {}
        for item in items:
            sealed = item.get("encrypt_certificate") if isinstance(item, Mapping) else None
            if not isinstance(sealed, Mapping):
                raise ProviderError(f"WeChat Pay answered {what} with an item lacking encrypt_certificate",
                                    code="BAD_ANSWER")
            try:
                pem = decrypt_resource(self.config.apiv3_key, nonce=str(sealed.get("nonce", "")),
                                       ciphertext=str(sealed.get("ciphertext", "")),
                                       associated_data=str(sealed.get("associated_data", "")))
                cert = x509.load_pem_x509_certificate(pem)
            except (ResourceUnreadable, ValueError) as exc:
                raise ProviderError(f"a platform certificate WeChat Pay offered does not open: {exc}",
                                    code="BAD_ANSWER") from exc
            found[format(cert.serial_number, "X")] = pem.decode("ascii")
        return found


def rfc3339(at: datetime) -> str:
    """``2026-11-25T17:45:00+08:00``: Beijing time to the second, as ``time_expire`` expects."""
    if at.tzinfo is None:
        raise ProviderError(f"expires_at {at.isoformat()} has no time zone", code="PARAM_ERROR")
    return at.astimezone(CHINA).replace(microsecond=0).isoformat()


def _check_number(name: str, value: str, *, minimum: int = 1, maximum: int = 32) -> None:
    if not isinstance(value, str) or not _ORDER_NUMBER.match(value) or not minimum <= len(value) <= maximum:
        raise ProviderError(f"{name} {value!r}: expected {minimum} to {maximum} of 0-9 A-Z a-z _ - | * @",
                            code="PARAM_ERROR")


def _answer_text(data: Mapping[str, object], name: str, what: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"WeChat Pay answered {what} without {name}", code="BAD_ANSWER")
    return value
