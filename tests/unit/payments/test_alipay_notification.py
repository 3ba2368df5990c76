"""Reading Alipay's asynchronous notification: only genuine, ours, fresh and well-formed posts get through,
and the answer Alipay expects."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.alipay import AlipayConfig, AlipayProvider
from parking.payments.alipay_wire import notify_sign_content, rsa2_sign
from parking.payments.base import CallbackRejected, Notification, Provider, Reply

NOW = datetime(2026, 11, 25, 9, 31, 30, tzinfo=timezone.utc)  # 17:31:30 in Shanghai
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
PARAMS = {
    "notify_time": "2026-11-25 17:31:03", "notify_type": "trade_status_sync",
    "notify_id": "2026112500222173103012345678901234", "app_id": "2021000000000001", "charset": "utf-8",
    "version": "1.0", "trade_no": "2026112522001000000000000001", "out_trade_no": "P20261125A",
    "trade_status": "TRADE_SUCCESS", "total_amount": "10.50", "receipt_amount": "10.50",
    "seller_id": "2088000000000001", "buyer_id": "2088000000000001", "subject": "停车费 粤B***45 白石洲停车场",
    "gmt_create": "2026-11-25 17:30:00", "gmt_payment": "2026-11-25 17:31:02",
}


@pytest.fixture(scope="module")
def alipay_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider(alipay_key: rsa.RSAPrivateKey) -> AlipayProvider:
    app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return AlipayProvider(AlipayConfig(app_id="2021000000000001", app_private_key=app_key,
                                       alipay_public_key=alipay_key.public_key(), seller_id="2088000000000001",
                                       notify_url="http://127.0.0.1:1/notify"))


def signed(key: rsa.RSAPrivateKey, params: dict[str, str], *, encoding: str = "utf-8") -> bytes:
    form = {**params, "sign_type": "RSA2"}
    form["sign"] = rsa2_sign(key, notify_sign_content(form))
    return urlencode(form, encoding=encoding).encode("ascii")


def rejected(provider: AlipayProvider, body: bytes, headers: dict[str, str] = FORM, now: datetime = NOW) -> str:
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(headers, body, now)
    assert caught.value.code == caught.value.reason
    return caught.value.reason


def test_the_provider_is_a_provider(provider: AlipayProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.method == "alipay"


def test_a_paid_trade_notification_reads_as_paid_with_exact_fen(provider: AlipayProvider, alipay_key) -> None:
    note = provider.parse_notification(FORM, signed(alipay_key, PARAMS), NOW)
    assert note == Notification(out_trade_no="P20261125A", state="paid", amount_fen=1050,
                                transaction_id="2026112522001000000000000001",
                                paid_at=datetime(2026, 11, 25, 9, 31, 2, tzinfo=timezone.utc),
                                notification_id="2026112500222173103012345678901234", raw=note.raw)
    assert note.raw["subject"] == "停车费 粤B***45 白石洲停车场"


@pytest.mark.parametrize(("status", "extra", "state"), [
    ("TRADE_FINISHED", {}, "paid"),
    ("WAIT_BUYER_PAY", {"gmt_payment": ""}, "pending"),
    ("TRADE_CLOSED", {"gmt_payment": ""}, "closed"),
    ("TRADE_CLOSED", {"refund_fee": "10.50", "gmt_refund": "2026-11-25 17:40:00.123"}, "refunded"),
    ("TRADE_CLOSED", {"refund_fee": "3.00"}, "closed"),
    ("TRADE_SUCCESS", {"refund_fee": "3.00", "out_biz_no": "R1"}, "paid"),  # a partial refund leaves it paid
])
def test_trade_states_map_to_ledger_states(provider: AlipayProvider, alipay_key, status, extra, state) -> None:
    params = {k: v for k, v in {**PARAMS, "trade_status": status, **extra}.items() if v}
    assert provider.parse_notification(FORM, signed(alipay_key, params), NOW).state == state


def test_a_gbk_form_is_read_in_gbk(provider: AlipayProvider, alipay_key) -> None:
    body = signed(alipay_key, {**PARAMS, "charset": "gbk"}, encoding="gbk")
    note = provider.parse_notification({"content-type": "application/x-www-form-urlencoded; charset=GBK"}, body, NOW)
    assert note.raw["subject"] == "停车费 粤B***45 白石洲停车场"


def test_a_notification_signed_with_another_key_is_rejected_as_signature(provider: AlipayProvider) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert rejected(provider, signed(other, PARAMS)) == "signature"


def test_a_changed_amount_breaks_the_signature(provider: AlipayProvider, alipay_key) -> None:
    body = signed(alipay_key, PARAMS).replace(b"total_amount=10.50", b"total_amount=0.01")
    assert rejected(provider, body) == "signature"


def test_a_notification_without_sign_is_rejected_as_signature(provider: AlipayProvider) -> None:
    assert rejected(provider, urlencode(PARAMS).encode()) == "signature"


def test_another_app_or_seller_is_rejected_as_merchant(provider: AlipayProvider, alipay_key) -> None:
    assert rejected(provider, signed(alipay_key, {**PARAMS, "app_id": "2021000000000999"})) == "merchant"
    assert rejected(provider, signed(alipay_key, {**PARAMS, "seller_id": "2088000000000999"})) == "merchant"
    no_seller = AlipayProvider(replace(provider.config, seller_id=""))
    assert no_seller.parse_notification(FORM, signed(alipay_key, {**PARAMS, "seller_id": "2088000000000999"}),
                                        NOW).state == "paid"


def test_a_notification_older_than_a_day_is_rejected_as_timestamp(provider: AlipayProvider, alipay_key) -> None:
    body = signed(alipay_key, PARAMS)
    sent = datetime(2026, 11, 25, 9, 31, 3, tzinfo=timezone.utc)
    assert provider.parse_notification(FORM, body, sent + timedelta(hours=24)).state == "paid"
    assert rejected(provider, body, now=sent + timedelta(hours=24, seconds=1)) == "timestamp"
    assert rejected(provider, body, now=sent - timedelta(minutes=11)) == "timestamp"


@pytest.mark.parametrize("change", [{"total_amount": "10.001"}, {"total_amount": "abc"}, {"total_amount": "-1.00"},
                                    {"trade_status": "TRADE_PAID"}, {"out_trade_no": ""}, {"notify_time": "yesterday"},
                                    {"gmt_payment": "2026-11-25"}, {"refund_fee": "1e3"}])
def test_a_genuine_but_unreadable_notification_is_rejected_as_format(provider: AlipayProvider, alipay_key, change) -> None:
    params = {k: v for k, v in {**PARAMS, **change}.items() if v}
    assert rejected(provider, signed(alipay_key, params)) == "format"


def test_bodies_that_are_not_one_small_form_are_rejected_as_format(provider: AlipayProvider, alipay_key) -> None:
    body = signed(alipay_key, PARAMS)
    assert rejected(provider, body + b"&x=" + b"a" * 64 * 1024) == "format"
    assert rejected(provider, body, {"Content-Type": "application/json"}) == "format"
    assert rejected(provider, body, {"Content-Type": "application/x-www-form-urlencoded; charset=latin-1"}) == "format"
    assert rejected(provider, body + b"&out_trade_no=P2") == "format"
    assert rejected(provider, "subject=停车".encode()) == "format"
    assert rejected(provider, b"") == "format"


def test_the_reply_is_plain_success_or_fail() -> None:
    provider = AlipayProvider.__new__(AlipayProvider)
    assert provider.reply(True) == Reply(status=200, body=b"success", content_type="text/plain; charset=utf-8")
    assert provider.reply(False, "ledger busy") == Reply(status=200, body=b"fail", content_type="text/plain; charset=utf-8")
