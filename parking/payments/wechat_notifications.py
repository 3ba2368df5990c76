"""WeChat Pay payment notifications (支付通知) and the transaction object they share with order queries.

A notification is checked in this order, and the first failure names its reason for the audit:

    size (64 KiB) and headers ─ format       Wechatpay-Serial names a key we hold ─ certificate
    Wechatpay-Timestamp within 300 s of now ─ timestamp      Wechatpay-Signature over the body ─ signature
    resource opens with the APIv3 key ─ decrypt      mchid and appid are ours ─ merchant
    every field the ledger needs is there and well formed ─ format (the message names the field)

Headers are read without regard to case. Only transaction notifications (``original_type`` transaction)
are read here; refund notifications are not asked for by this provider.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from parking.payments.base import CallbackRejected, Notification, OrderState
from parking.payments.wechat_config import WeChatPayConfig
from parking.payments.wechat_signing import SCHEMA, ResourceUnreadable, decrypt_resource, response_message, verify

MAX_NOTIFICATION_BYTES = 64 * 1024
TIMESTAMP_WINDOW_SECONDS = 300
ALGORITHM = "AEAD_AES_256_GCM"
TRADE_STATES: Mapping[str, OrderState] = {
    "SUCCESS": "paid", "CLOSED": "closed", "REVOKED": "closed", "PAYERROR": "failed",
    "NOTPAY": "pending", "USERPAYING": "pending", "REFUND": "refunded",
}
_SETTLED: frozenset[str] = frozenset({"paid", "refunded"})


class FieldProblem(ValueError):
    """A transaction object lacks a field, or has it in the wrong shape; the message names it."""


@dataclass(frozen=True)
class Transaction:
    """The parts of a WeChat Pay transaction object the ledger uses."""

    out_trade_no: str
    state: OrderState
    amount_fen: int  # amount.total once paid: what the order was settled for; 0 before
    transaction_id: str
    paid_at: datetime | None
    payer: str
    mchid: str
    appid: str


def read_transaction(data: Mapping[str, object]) -> Transaction:
    trade_state = _text(data, "trade_state")
    state = TRADE_STATES.get(trade_state)
    if state is None:
        raise FieldProblem(f"trade_state {trade_state!r} is not one of {', '.join(TRADE_STATES)}")
    settled = state in _SETTLED
    amount = data.get("amount")
    if not isinstance(amount, Mapping):
        raise FieldProblem("amount is missing or not an object")
    total = amount.get("total")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise FieldProblem(f"amount.total {total!r} is not a whole number of fen")
    payer = data.get("payer")
    openid = payer.get("openid", "") if isinstance(payer, Mapping) else ""
    return Transaction(
        out_trade_no=_text(data, "out_trade_no"), state=state, amount_fen=total if settled else 0,
        transaction_id=_text(data, "transaction_id", required=settled),
        paid_at=_time(data, "success_time") if settled else None,
        payer=openid if isinstance(openid, str) else "", mchid=_text(data, "mchid"), appid=_text(data, "appid"))


def parse_notification(config: WeChatPayConfig, headers: Mapping[str, str], body: bytes,
                       now: datetime) -> Notification:
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise CallbackRejected("format", f"notification body of {len(body)} bytes is over {MAX_NOTIFICATION_BYTES}")
    found = {str(name).lower(): str(value).strip() for name, value in headers.items()}
    signed = {}
    for name in ("Wechatpay-Serial", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature"):
        if not found.get(name.lower()):
            raise CallbackRejected("format", f"header {name} is missing")
        signed[name] = found[name.lower()]
    kind = found.get("wechatpay-signature-type", SCHEMA)
    if kind != SCHEMA:
        raise CallbackRejected("signature", f"Wechatpay-Signature-Type {kind!r} is not {SCHEMA}")
    key = config.platform_key(signed["Wechatpay-Serial"])
    if key is None:
        raise CallbackRejected("certificate", f"Wechatpay-Serial {signed['Wechatpay-Serial']!r} names no platform "
                                              "certificate or public key this merchant holds")
    if (key.not_after and now > key.not_after) or (key.not_before and now < key.not_before):
        raise CallbackRejected("certificate", f"platform certificate {key.serial} is not valid at {now.isoformat()}")
    stamp = signed["Wechatpay-Timestamp"]
    if not stamp.isdigit() or abs(now.timestamp() - int(stamp)) > TIMESTAMP_WINDOW_SECONDS:
        raise CallbackRejected("timestamp", f"Wechatpay-Timestamp {stamp!r} is more than "
                                            f"{TIMESTAMP_WINDOW_SECONDS} s from {now.isoformat()}")
    if not verify(key.public_key, response_message(stamp, signed["Wechatpay-Nonce"], body),
                  signed["Wechatpay-Signature"]):
        raise CallbackRejected("signature", f"Wechatpay-Signature does not verify with platform key {key.serial}")
    envelope = _object(body, "notification body")
    try:
        resource = envelope.get("resource")
        if not isinstance(resource, Mapping):
            raise FieldProblem("resource is missing or not an object")
        original = resource.get("original_type", "transaction")
        if original != "transaction":
            raise FieldProblem(f"resource.original_type {original!r} is not a payment (transaction)")
        event_id = _text(envelope, "id")
        algorithm = _text(resource, "algorithm", where="resource.")
        sealed = {name: _text(resource, name, where="resource.") for name in ("ciphertext", "nonce")}
        associated = resource.get("associated_data", "")
        if not isinstance(associated, str):
            raise FieldProblem("resource.associated_data is not a string")
    except FieldProblem as exc:
        raise CallbackRejected("format", str(exc)) from exc
    if algorithm != ALGORITHM:
        raise CallbackRejected("decrypt", f"resource.algorithm {algorithm!r} is not {ALGORITHM}")
    try:
        plaintext = decrypt_resource(config.apiv3_key, nonce=sealed["nonce"], ciphertext=sealed["ciphertext"],
                                     associated_data=associated)
    except ResourceUnreadable as exc:
        raise CallbackRejected("decrypt", f"resource: {exc}") from exc
    data = _object(plaintext, "decrypted resource")
    mchid, appid = data.get("mchid"), data.get("appid")
    if mchid != config.mchid or appid != config.appid:
        raise CallbackRejected("merchant", f"notification is for merchant {mchid!r} app {appid!r}, "
                                           f"not {config.mchid!r} {config.appid!r}")
    try:
        trade = read_transaction(data)
    except FieldProblem as exc:
        raise CallbackRejected("format", f"decrypted resource: {exc}") from exc
    return Notification(out_trade_no=trade.out_trade_no, state=trade.state, amount_fen=trade.amount_fen,
                        transaction_id=trade.transaction_id, paid_at=trade.paid_at, notification_id=event_id,
                        raw=data)


def parse_time(text: str) -> datetime:
    """An RFC 3339 time as WeChat writes it (``2026-11-25T17:30:05+08:00``), in UTC; ValueError without a zone."""
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return at.astimezone(timezone.utc)


def _object(raw: bytes, what: str) -> Mapping[str, object]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CallbackRejected("format", f"{what} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CallbackRejected("format", f"{what} is not a JSON object")
    return data


def _text(data: Mapping[str, object], name: str, *, required: bool = True, where: str = "") -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise FieldProblem(f"{where}{name} is missing or not a string")
    return value


def _time(data: Mapping[str, object], name: str) -> datetime:
    text = _text(data, name)
    try:
        return parse_time(text)
    except ValueError as exc:
        raise FieldProblem(f"{name} {text!r} is not an RFC 3339 time") from exc
