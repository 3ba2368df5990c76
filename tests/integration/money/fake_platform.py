"""A payment platform for the arrears and refund tests: orders are remembered, paying is calling ``pay``,
refunds answer as ``refund_answer`` says, and ``received_fen`` counts the money the platform holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from parking.payments.base import (
    BillLine, Notification, OrderRequest, OrderStatus, ProviderError, ProviderOrder, RefundRequest, RefundResult, Reply,
)


class FakePlatform:
    def __init__(self, method: str = "wechat") -> None:
        self.method = method
        self.orders: dict[str, OrderRequest] = {}
        self.paid: dict[str, str] = {}  # out_trade_no -> transaction id
        self.refunds: list[RefundRequest] = []
        self.refund_answer = "refunded"  # refunded | pending | failed | error
        self.received_fen = 0

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        self.orders[order.out_trade_no] = order
        return ProviderOrder(order.out_trade_no, qr_payload=f"weixin://wxpay/bizpayurl?pr={order.out_trade_no[:8]}",
                             pay_url=f"https://pay.example/{order.out_trade_no}")

    def pay(self, out_trade_no: str) -> str:
        """The payer pays the order (once); returns the platform's transaction id."""
        if out_trade_no not in self.paid:
            self.paid[out_trade_no] = f"42{len(self.paid):08d}"
            self.received_fen += self.orders[out_trade_no].amount_fen
        return self.paid[out_trade_no]

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        raise NotImplementedError

    def reply(self, accepted: bool, message: str = "") -> Reply:
        return Reply(200, b"")

    def query(self, out_trade_no: str) -> OrderStatus:
        order = self.orders[out_trade_no]
        if out_trade_no in self.paid:
            return OrderStatus(out_trade_no, "paid", order.amount_fen, self.paid[out_trade_no])
        return OrderStatus(out_trade_no, "pending")

    def close(self, out_trade_no: str) -> None:
        self.orders.pop(out_trade_no, None)

    def refund(self, request: RefundRequest) -> RefundResult:
        if self.refund_answer == "error":
            raise ProviderError("the platform is unreachable", retryable=True)
        self.refunds.append(request)
        if self.refund_answer != "failed":
            self.received_fen -= request.refund_fen
        return RefundResult(request.out_refund_no, self.refund_answer, refund_id=f"50{len(self.refunds):08d}")  # type: ignore[arg-type]

    def bill(self, day: date) -> Sequence[BillLine]:
        return ()
