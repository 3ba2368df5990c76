"""Reading a WeChat Pay payment notification: each check in its order with the reason the audit records,
headers in any case, trade states mapped, and the replies the platform expects. Real RSA and AES-GCM."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.base import CallbackRejected, Reply
from parking.payments.wechat import WeChatPayProvider, rfc3339
from parking.payments.wechat_config import PlatformKey, WeChatPayConfig
from parking.payments.wechat_signing import encrypt_resource, response_message, sign

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # 17:30 in Beijing
APIV3 = b"0123456789abcdef0123456789abcdef"
SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
TRANSACTION = {
    "mchid": "1900000001", "appid": "wx8888888888888888", "out_trade_no": "P20261125001",
    "transaction_id": "4200000120261125000000000001", "trade_type": "NATIVE", "trade_state": "SUCCESS",
    "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "", "success_time": "2026-11-25T17:29:58+08:00",
    "payer": {"openid": "oSim0123"}, "amount": {"total": 1200, "payer_total": 1200, "currency": "CNY"},
}


@pytest.fixture(scope="module")
def platform_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider(platform_key) -> WeChatPayProvider:
    key = PlatformKey(SERIAL, platform_key.public_key(), NOW - timedelta(days=30), NOW + timedelta(days=365))
    config = WeChatPayConfig(mchid="1900000001", appid="wx8888888888888888", merchant_serial="ABCD",
                             merchant_key=platform_key, apiv3_key=APIV3, platform_keys={SERIAL: key},
                             notify_url="https://parking.example.com/notify", gateway="http://127.0.0.1:9")
    return WeChatPayProvider(config)


def envelope(transaction: object = TRANSACTION, **resource: str) -> bytes:
    plaintext = transaction if isinstance(transaction, bytes) else json.dumps(transaction).encode()
    sealed = {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "associated_data": "transaction",
              "nonce": "fdasflkja484", "ciphertext": encrypt_resource(APIV3, nonce="fdasflkja484", plaintext=plaintext,
                                                                       associated_data="transaction")}
    return json.dumps({"id": "EV-2018022511223320873", "create_time": "2026-11-25T17:30:00+08:00",
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                       "summary": "支付成功", "resource": {**sealed, **resource}}).encode()


def headers(key, body: bytes, *, at: datetime = NOW, serial: str = SERIAL) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": "WOSKuSEUFJXHGfeajoVj",
            "Wechatpay-Signature": sign(key, response_message(stamp, "WOSKuSEUFJXHGfeajoVj", body)),
            "Wechatpay-Serial": serial, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}


def rejected(provider, head, body, now=NOW) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(head, body, now)
    return caught.value


def test_a_genuine_notification_reads_as_paid_in_fen(provider, platform_key):
    body = envelope()
    note = provider.parse_notification(headers(platform_key, body), body, NOW)
    assert (note.out_trade_no, note.state, note.amount_fen, note.transaction_id) == (
        "P20261125001", "paid", 1200, "4200000120261125000000000001")
    assert note.paid_at == datetime(2026, 11, 25, 9, 29, 58, tzinfo=timezone.utc)
    assert note.notification_id == "EV-2018022511223320873"
    assert note.raw["payer"] == {"openid": "oSim0123"}


def test_headers_are_read_in_any_case(provider, platform_key):
    body = envelope()
    lower = {k.lower(): v for k, v in headers(platform_key, body).items()}
    upper = {k.upper(): v for k, v in headers(platform_key, body).items()}
    assert provider.parse_notification(lower, body, NOW).state == "paid"
    assert provider.parse_notification(upper, body, NOW).state == "paid"


@pytest.mark.parametrize("trade_state, state, amount", [
    ("SUCCESS", "paid", 1200), ("REFUND", "refunded", 1200), ("CLOSED", "closed", 0), ("REVOKED", "closed", 0),
    ("PAYERROR", "failed", 0), ("NOTPAY", "pending", 0), ("USERPAYING", "pending", 0)])
def test_trade_states_map_to_ledger_states(provider, platform_key, trade_state, state, amount):
    body = envelope({**TRANSACTION, "trade_state": trade_state})
    note = provider.parse_notification(headers(platform_key, body), body, NOW)
    assert (note.state, note.amount_fen) == (state, amount)


def test_the_timestamp_may_be_300_seconds_away_but_no_more(provider, platform_key):
    body = envelope()
    assert provider.parse_notification(headers(platform_key, body, at=NOW - timedelta(seconds=300)), body, NOW)
    assert provider.parse_notification(headers(platform_key, body, at=NOW + timedelta(seconds=300)), body, NOW)
    late = rejected(provider, headers(platform_key, body, at=NOW - timedelta(seconds=301)), body)
    assert (late.reason, late.code) == ("timestamp", "timestamp")
    assert "Wechatpay-Timestamp '1795598699' is more than 300 s" in late.message


@pytest.mark.parametrize("change, reason, message", [
    (lambda h, b: ({**h, "Wechatpay-Serial": "0123ABCD"}, b), "certificate", "Wechatpay-Serial '0123ABCD' names no"),
    (lambda h, b: ({**h, "Wechatpay-Signature": h["Wechatpay-Signature"][::-1]}, b), "signature", "does not verify"),
    (lambda h, b: (h, b.replace(b"EV-2018", b"EV-2019")), "signature", "does not verify"),
    (lambda h, b: ({**h, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}, b), "signature", "SM2"),
    (lambda h, b: ({k: v for k, v in h.items() if k != "Wechatpay-Nonce"}, b), "format", "header Wechatpay-Nonce"),
    (lambda h, b: ({**h, "Wechatpay-Timestamp": "soon"}, b), "timestamp", "'soon'"),
    (lambda h, b: (h, b"x" * (64 * 1024 + 1)), "format", "65537 bytes is over 65536"),
])
def test_a_notification_that_is_not_genuine_or_fresh_is_rejected_with_its_reason(provider, platform_key, change,
                                                                                   reason, message):
    body = envelope()
    head, body = change(headers(platform_key, body), body)
    refused = rejected(provider, head, body)
    assert refused.reason == reason and message in refused.message


def test_a_certificate_outside_its_validity_is_rejected(provider, platform_key):
    later = NOW + timedelta(days=400)
    body = envelope()
    assert rejected(provider, headers(platform_key, body, at=later), body, later).reason == "certificate"


@pytest.mark.parametrize("body_of, reason, message", [
    (lambda: b"{not json", "format", "notification body is not JSON"),
    (lambda: b"[1, 2]", "format", "notification body is not a JSON object"),
    (lambda: envelope(nonce=""), "format", "resource.nonce is missing"),
    (lambda: json.dumps({"resource": {}}).encode(), "format", "id is missing"),
    (lambda: envelope(original_type="refund"), "format", "original_type 'refund' is not a payment"),
    (lambda: envelope(algorithm="AEAD_SM4_GCM"), "decrypt", "'AEAD_SM4_GCM' is not AEAD_AES_256_GCM"),
    (lambda: envelope(ciphertext="A" + envelope_cipher()[1:]), "decrypt", "does not open"),
    (lambda: envelope(associated_data="certificate"), "decrypt", "does not open"),
    (lambda: envelope(b"not json"), "format", "decrypted resource is not JSON"),
    (lambda: envelope({**TRANSACTION, "mchid": "1900000002"}), "merchant", "'1900000002'"),
    (lambda: envelope({**TRANSACTION, "appid": "wx0000000000000000"}), "merchant", "'wx0000000000000000'"),
    (lambda: envelope({k: v for k, v in TRANSACTION.items() if k != "out_trade_no"}), "format", "out_trade_no"),
    (lambda: envelope({k: v for k, v in TRANSACTION.items() if k != "transaction_id"}), "format", "transaction_id"),
    (lambda: envelope({**TRANSACTION, "success_time": "yesterday"}), "format", "success_time 'yesterday'"),
    (lambda: envelope({**TRANSACTION, "success_time": "2026-11-25T17:29:58"}), "format", "success_time"),
    (lambda: envelope({**TRANSACTION, "amount": {"total": "12.00"}}), "format", "amount.total '12.00'"),
    (lambda: envelope({**TRANSACTION, "amount": 1200}), "format", "amount is missing or not an object"),
    (lambda: envelope({**TRANSACTION, "trade_state": "PAID"}), "format", "trade_state 'PAID' is not one of"),
])
def test_a_genuine_but_unreadable_notification_names_what_is_wrong(provider, platform_key, body_of, reason, message):
    body = body_of()
    refused = rejected(provider, headers(platform_key, body), body)
    assert refused.reason == reason and message in refused.message


def envelope_cipher() -> str:
    return json.loads(envelope())["resource"]["ciphertext"]


def test_replies_are_what_the_platform_expects(provider):
    assert provider.reply(True) == Reply(200, b"")
    assert provider.reply(False, "账本暂不可用") == Reply(500, '{"code":"FAIL","message":"账本暂不可用"}'.encode())
    assert provider.reply(False) == Reply(500, '{"code":"FAIL","message":"失败"}'.encode())


def test_expiry_times_are_written_in_beijing_time_to_the_second():
    assert rfc3339(datetime(2026, 11, 25, 9, 45, 0, 999, tzinfo=timezone.utc)) == "2026-11-25T17:45:00+08:00"
