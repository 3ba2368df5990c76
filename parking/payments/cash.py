"""Cash (现金) as a provider: no platform behind it.

Cash is booked when the attendant takes it (``parking.services.ledger.take_cash``), so there is no order
to place, no notification to read and no daily bill to download. A refund of cash is money handed back
by hand: it is refunded the moment the manager books it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone

from .base import (
    BillLine, CallbackRejected, Method, Notification, OrderRequest, OrderStatus, ProviderError, ProviderOrder,
    RefundRequest, RefundResult, Reply,
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class CashProvider:
    method: Method = "cash"

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock  # when a refund was handed back

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        raise ProviderError("cash is not ordered: the attendant books it when it is handed over (take_cash)",
                            code="NOT_SUPPORTED")

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        raise CallbackRejected("format", "cash has no platform that could send a notification")

    def reply(self, accepted: bool, message: str = "") -> Reply:
        return Reply(200 if accepted else 400, (message or ("ok" if accepted else "refused")).encode("utf-8"),
                     "text/plain; charset=utf-8")

    def query(self, out_trade_no: str) -> OrderStatus:
        # Cash is booked paid at once and never pending: there is no order the platform could know.
        return OrderStatus(out_trade_no, "closed")

    def close(self, out_trade_no: str) -> None:
        return None

    def refund(self, request: RefundRequest) -> RefundResult:
        if isinstance(request.refund_fen, bool) or not isinstance(request.refund_fen, int) or request.refund_fen <= 0:
            raise ProviderError(f"refund_fen {request.refund_fen!r}: expected a positive whole number of fen", code="INVALID_PARAMETER")
        if request.refund_fen > request.total_fen:
            raise ProviderError(f"refund_fen {request.refund_fen} is more than the {request.total_fen} fen paid",
                                code="INVALID_PARAMETER")
        return RefundResult(request.out_refund_no, "refunded", refunded_at=self.clock())

    def bill(self, day: date) -> Sequence[BillLine]:
        return ()
