"""Alipay's wire format: what is signed, RSA2 itself (checked against python-alipay-sdk), yuan and fen,
Shanghai times, and cutting the signed node out of a gateway answer exactly as it stands."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qsl

import pytest
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.alipay_wire import (fen_to_yuan, load_private_key, load_public_key, notify_sign_content,
                                          parse_shanghai, request_sign_content, response_node, rsa2_sign,
                                          rsa2_verify, shanghai_text, top_level_members, yuan_to_fen)

REQUEST = {
    "app_id": "2021000000000001", "method": "alipay.trade.query", "format": "JSON", "charset": "utf-8",
    "sign_type": "RSA2", "timestamp": "2026-11-25 17:30:00", "version": "1.0", "notify_url": "",
    "biz_content": '{"out_trade_no":"P20261125A"}', "sign": "ignored",
}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


# ------------------------------------------------------------------------------------------ signing

def test_a_request_signs_its_non_empty_parameters_but_sign_sorted_by_name() -> None:
    assert request_sign_content(REQUEST) == (
        'app_id=2021000000000001&biz_content={"out_trade_no":"P20261125A"}&charset=utf-8&format=JSON'
        "&method=alipay.trade.query&sign_type=RSA2&timestamp=2026-11-25 17:30:00&version=1.0")


def test_a_notification_signs_every_parameter_but_sign_and_sign_type() -> None:
    params = {"trade_status": "TRADE_SUCCESS", "sign_type": "RSA2", "sign": "x", "body": "", "app_id": "2021",
              "subject": "停车费 粤B***45"}
    assert notify_sign_content(params) == "app_id=2021&body=&subject=停车费 粤B***45&trade_status=TRADE_SUCCESS"


def test_rsa2_verifies_its_own_signature_and_nothing_else(key: rsa.RSAPrivateKey) -> None:
    sign = rsa2_sign(key, "a=1&b=2")
    assert rsa2_verify(key.public_key(), "a=1&b=2", sign)
    assert not rsa2_verify(key.public_key(), "a=1&b=3", sign)
    assert not rsa2_verify(key.public_key(), "a=1&b=2", "not base64!")
    assert not rsa2_verify(key.public_key(), "a=1&b=2", "")


def test_the_signature_is_the_one_python_alipay_sdk_makes_for_the_same_request(key: rsa.RSAPrivateKey) -> None:
    private, public = pem(key)
    sdk = AliPay(appid="2021000000000001", app_notify_url=None, app_private_key_string=private,
                 alipay_public_key_string=public, sign_type="RSA2")
    params = {k: v for k, v in REQUEST.items() if v and k != "sign"}
    sdk_sign = dict(parse_qsl(sdk.sign_data(dict(params))))["sign"]
    assert rsa2_sign(key, request_sign_content(params)) == sdk_sign


def test_python_alipay_sdk_accepts_a_notification_signed_our_way(key: rsa.RSAPrivateKey) -> None:
    private, public = pem(key)
    sdk = AliPay(appid="2021000000000001", app_notify_url=None, app_private_key_string=private,
                 alipay_public_key_string=public, sign_type="RSA2")
    params = {"app_id": "2021000000000001", "out_trade_no": "P1", "total_amount": "10.50", "sign_type": "RSA2"}
    sign = rsa2_sign(key, notify_sign_content(params))
    assert sdk.verify(dict(params), sign)


def test_keys_load_from_pem_and_from_the_bare_base64_alipay_shows(key: rsa.RSAPrivateKey) -> None:
    private, public = pem(key)
    bare = "".join(line for line in public.splitlines() if not line.startswith("-----"))
    assert load_public_key(bare.encode()).public_numbers() == key.public_key().public_numbers()
    assert load_private_key(private.encode()).private_numbers() == key.private_numbers()
    with pytest.raises(ValueError):
        load_public_key(b"not a key")


# ------------------------------------------------------------------------------------------ amounts

@pytest.mark.parametrize(("fen", "yuan"), [(1, "0.01"), (10, "0.10"), (1050, "10.50"), (123456, "1234.56"),
                                          (0, "0.00"), (10_000_000_000, "100000000.00")])
def test_fen_become_yuan_with_two_decimals(fen: int, yuan: str) -> None:
    assert fen_to_yuan(fen) == yuan


@pytest.mark.parametrize(("yuan", "fen"), [("10.50", 1050), ("10.5", 1050), ("10", 1000), ("0.01", 1),
                                          ("0.1", 10), ("19.99", 1999), ("100000000.00", 10_000_000_000)])
def test_yuan_become_exact_fen(yuan: str, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("text", ["10.001", "1e3", "-1.00", "", " 1.00", "1.", ".5", "NaN", "１０", "1,000.00",
                                  "0x10", "01.00"])
def test_amounts_that_are_not_plain_yuan_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="at most two decimals"):
        yuan_to_fen(text)


def test_fen_must_be_an_integer() -> None:
    with pytest.raises(ValueError):
        fen_to_yuan(10.5)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------- times

def test_times_are_written_and_read_in_shanghai() -> None:
    utc = datetime(2026, 11, 25, 9, 30, 5, tzinfo=timezone.utc)
    assert shanghai_text(utc) == "2026-11-25 17:30:05"
    assert parse_shanghai("2026-11-25 17:30:05") == utc
    assert parse_shanghai("2026-11-26 00:10:00") == datetime(2026, 11, 25, 16, 10, tzinfo=timezone.utc)
    for bad in ("2026-11-25T17:30:05", "2026-13-25 17:30:05", "2026-11-25 17:30", ""):
        with pytest.raises(ValueError):
            parse_shanghai(bad)


# ---------------------------------------------------------------------------------- answer nodes

def test_the_signed_node_is_cut_out_exactly_as_it_stands_in_the_body() -> None:
    body = ('{ "alipay_trade_precreate_response" : {"code": "10000","msg":"Success",'
            '"qr_code":"https:\\/\\/qr.alipay.com\\/bax1","sub_msg":"一个 } 和 {"} ,\n"sign":"c2lnbg=="}')
    text, node, sign = response_node(body, "alipay.trade.precreate")
    assert text == ('{"code": "10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/bax1",'
                    '"sub_msg":"一个 } 和 {"}')
    assert node["qr_code"] == "https://qr.alipay.com/bax1"
    assert sign == "c2lnbg=="


def test_a_gateway_refusal_comes_as_error_response_without_sign() -> None:
    body = '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}'
    text, node, sign = response_node(body, "alipay.trade.query")
    assert (node["sub_code"], sign) == ("isv.invalid-app-id", "")


@pytest.mark.parametrize("body", ['{"other_response":{},"sign":"x"}', '[1]', '{"alipay_trade_query_response":{}} x',
                                  '{"alipay_trade_query_response":{},"alipay_trade_query_response":{}}',
                                  '{"alipay_trade_query_response":"text"}', "", "{"])
def test_answers_that_are_not_one_alipay_object_are_refused(body: str) -> None:
    with pytest.raises(ValueError):
        response_node(body, "alipay.trade.query")


def test_top_level_members_keep_each_value_text() -> None:
    assert top_level_members('{"a":[1, 2],"b":{"c":"}"}}') == {"a": ("[1, 2]", [1, 2]), "b": ('{"c":"}"}', {"c": "}"})}
