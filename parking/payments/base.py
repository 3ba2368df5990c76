"""What every payment provider offers the ledger: one interface, values in and out, money in fen.

A provider turns a ledger order (our ``out_trade_no``, the amount in fen, a description) into something a
payer can act on (a QR payload for a phone camera, or a page address for a phone browser), reads the
platform's asynchronous notifications after checking they are genuine, asks the platform about an order
when no notification came, closes an order nobody paid, refunds, and downloads the daily bill that
reconciliation compares with the ledger. Cash is a provider too, with no platform behind it.

Providers never touch SQL or Redis: ``parking.services.payments`` does, through this interface, so the
tests and the demo can put a provider pointed at a platform simulator in its place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

Method = Literal["cash", "wechat", "alipay", "coupon", "prepaid"]
Scene = Literal["qr", "phone"]  # a QR shown to the payer (Native / precreate), or a phone browser (H5 / wap)
OrderState = Literal["pending", "paid", "closed", "failed", "refunded"]
RefundState = Literal["pending", "refunded", "failed"]


class PaymentConfigError(ValueError):
    """A provider's configuration file is missing, unreadable, or has a bad or missing key; the message
    names the file and the key."""


class ProviderError(Exception):
    """The platform refused a request or could not be reached; ``message`` is fit to show an operator."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.message, self.code, self.retryable = message, code, retryable


class CallbackRejected(ProviderError):
    """A notification that is not genuine, not fresh, or not readable. ``reason`` is one of
    ``signature``, ``timestamp``, ``certificate``, ``decrypt``, ``format``, ``merchant``: the audit row names it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass(frozen=True)
class OrderRequest:
    out_trade_no: str  # ours: the ledger payment's uid (at most 32 characters, [0-9A-Za-z_-])
    amount_fen: int
    description: str  # shown to the payer, e.g. "停车费 粤B***45 白石洲停车场"
    scene: Scene = "qr"
    expires_at: datetime | None = None
    client_ip: str = "127.0.0.1"  # the payer's address (required by WeChat H5)
    notify_url: str = ""  # where the platform posts its notification; the provider's configured one if empty


@dataclass(frozen=True)
class ProviderOrder:
    out_trade_no: str
    qr_payload: str = ""  # text to encode in a QR (WeChat code_url, Alipay qr_code)
    pay_url: str = ""  # a page to open in the phone browser (WeChat h5_url, Alipay wap page)
    provider_order_id: str = ""  # prepay id or trade number the platform gave at creation, if any


@dataclass(frozen=True)
class OrderStatus:
    out_trade_no: str
    state: OrderState
    amount_fen: int = 0  # what the payer paid (0 until paid)
    transaction_id: str = ""  # the platform's transaction / trade number
    paid_at: datetime | None = None
    payer: str = ""  # the platform's payer id (openid / buyer id); never shown whole


@dataclass(frozen=True)
class Notification:
    """A genuine, decrypted payment notification."""

    out_trade_no: str
    state: OrderState
    amount_fen: int
    transaction_id: str
    paid_at: datetime | None
    notification_id: str = ""  # the platform's id of this notification, for the audit
    raw: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """What to answer the platform: it retries until it reads success."""

    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class RefundRequest:
    out_refund_no: str  # ours: the ledger refund's uid
    out_trade_no: str
    transaction_id: str
    refund_fen: int
    total_fen: int  # the original payment's amount
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    out_refund_no: str
    state: RefundState
    refund_id: str = ""  # the platform's refund id
    refunded_at: datetime | None = None


@dataclass(frozen=True)
class BillLine:
    """One line of a provider's daily bill: a payment or a refund as the platform booked it."""

    kind: Literal["payment", "refund"]
    out_trade_no: str
    transaction_id: str
    amount_fen: int  # positive for both kinds
    at: datetime
    out_refund_no: str = ""
    refund_id: str = ""


@runtime_checkable
class Provider(Protocol):
    method: Method

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        """Place an order the payer can pay; raises ProviderError."""

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        """Verify and decode a notification exactly as the platform posts it; raises CallbackRejected."""

    def reply(self, accepted: bool, message: str = "") -> Reply:
        """The answer the platform expects to a notification (success, or failure so that it retries)."""

    def query(self, out_trade_no: str) -> OrderStatus:
        """The platform's word on an order; raises ProviderError (an unknown order is state "closed")."""

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid order so it can no longer be paid; raises ProviderError."""

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund part or all of a paid order to the payer; raises ProviderError."""

    def bill(self, day: date) -> Sequence[BillLine]:
        """The platform's bill of ``day`` (in the platform's time zone, Asia/Shanghai); raises ProviderError."""
