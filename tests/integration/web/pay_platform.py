"""A payment platform for the web tests: a provider whose orders are remembered, paid by ``pay``, and whose
notifications are JSON signed with an HMAC (``notify`` posts one as the platform would)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from flask.testing import FlaskClient

from parking.payments.base import (
    BillLine, CallbackRejected, Notification, OrderRequest, OrderStatus, ProviderOrder, RefundRequest, RefundResult, Reply,
)

PLATFORM_KEY = b"platform-signing-key"


class Platform:
    """A payment platform in the test: orders are remembered, paying is ``pay``, notifications are JSON
    signed with an HMAC in ``X-Sign`` and must be less than five minutes old."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.orders: dict[str, OrderRequest] = {}
        self.paid: dict[str, str] = {}
        self.broken = False

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        self.orders[order.out_trade_no] = order
        return ProviderOrder(order.out_trade_no, pay_url=f"https://pay.example/{self.method}/{order.out_trade_no}?x=1")

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        if self.broken:
            raise RuntimeError("platform module bug")
        if not hmac.compare_digest(headers.get("X-Sign", ""), hmac.new(PLATFORM_KEY, body, hashlib.sha256).hexdigest()):
            raise CallbackRejected("signature", "X-Sign does not verify")
        doc = json.loads(body)
        if abs(now - datetime.fromisoformat(doc["at"])) > timedelta(minutes=5):
            raise CallbackRejected("timestamp", f"sent at {doc['at']}, too far from now")
        return Notification(doc["order"], "paid", doc["amount_fen"], doc["transaction"], datetime.fromisoformat(doc["at"]))

    def reply(self, accepted: bool, message: str = "") -> Reply:
        return Reply(200, b"") if accepted else Reply(500, json.dumps({"code": "FAIL", "message": message}).encode())

    def query(self, out_trade_no: str) -> OrderStatus:
        order = self.orders.get(out_trade_no)
        if order is None:
            return OrderStatus(out_trade_no, "closed")
        if out_trade_no in self.paid:
            return OrderStatus(out_trade_no, "paid", order.amount_fen, self.paid[out_trade_no])
        return OrderStatus(out_trade_no, "pending")

    def close(self, out_trade_no: str) -> None:
        self.orders.pop(out_trade_no, None)

    def refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult(request.out_refund_no, "refunded")

    def bill(self, day: date) -> Sequence[BillLine]:
        return ()

    def pay(self, out_trade_no: str) -> str:
        self.paid[out_trade_no] = f"TX{len(self.paid) + 1:06d}"
        return self.paid[out_trade_no]


def notify(client: FlaskClient, method: str, order: str, amount_fen: int, at: datetime, *, transaction: str = "TX000001",
           forged: bool = False):  # type: ignore[no-untyped-def]
    body = json.dumps({"order": order, "amount_fen": amount_fen, "transaction": transaction, "at": at.isoformat()}).encode()
    key = b"someone else's key" if forged else PLATFORM_KEY
    return client.post(f"/pay/notify/{method}", data=body, content_type="application/json",
                       headers={"X-Sign": hmac.new(key, body, hashlib.sha256).hexdigest()})
