"""WeChat Pay APIv3 signing strings, the Authorization header, signatures and AEAD resources, with literal
expected values (the AES-GCM case is a known answer, checked against a second implementation)."""

import re

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.wechat_signing import (ResourceUnreadable, authorization, decrypt_resource, encrypt_resource,
                                             request_message, response_message, sign, verify)

APIV3_KEY = b"0123456789abcdef0123456789abcdef"
SEALED = "Eu6myr+6GaECeJdOZPZ6BX5hij3Enu3QvX37mpVFNnjLbJdqKA=="  # {"out_trade_no":"P1"}, nonce abcdefghijkl


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_request_message_is_method_path_timestamp_nonce_body_each_ending_in_newline():
    assert request_message("get", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", b"") == (
        b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n")
    assert request_message("POST", "/v3/pay/transactions/native", "1", "N", '{"a":"停车"}'.encode()) == (
        'POST\n/v3/pay/transactions/native\n1\nN\n{"a":"停车"}\n'.encode())


def test_response_message_is_timestamp_nonce_body():
    assert response_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", b'{"data":[]}') == (
        b'1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"data":[]}\n')
    assert response_message("1", "N", b"") == b"1\nN\n\n"


def test_authorization_header_names_every_field_and_its_signature_verifies(key):
    header = authorization(mchid="1900000001", serial="1DDE55AD98ED71D6", key=key, method="GET",
                           path_with_query="/v3/pay/transactions/out-trade-no/P1?mchid=1900000001", body=b"",
                           timestamp="1764063000", nonce="ABCDEF")
    found = re.fullmatch(r'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="ABCDEF",signature="([^"]+)",'
                         r'timestamp="1764063000",serial_no="1DDE55AD98ED71D6"', header)
    assert found is not None
    signed = b"GET\n/v3/pay/transactions/out-trade-no/P1?mchid=1900000001\n1764063000\nABCDEF\n\n"
    assert verify(key.public_key(), signed, found.group(1))
    assert not verify(key.public_key(), signed.replace(b"P1", b"P2"), found.group(1))


def test_signatures_are_pkcs1v15_sha256_in_base64(key):
    signature = sign(key, b"1\nN\nbody\n")
    assert len(signature) == 344  # 256 bytes of RSA-2048 in base64
    assert verify(key.public_key(), b"1\nN\nbody\n", signature)
    assert not verify(key.public_key(), b"1\nN\nbody\n", "not base64!")
    assert not verify(key.public_key(), b"1\nN\nbody\n", "")


def test_a_resource_decrypts_with_the_apiv3_key():
    assert decrypt_resource(APIV3_KEY, nonce="abcdefghijkl", ciphertext=SEALED, associated_data="transaction") == (
        b'{"out_trade_no":"P1"}')
    assert encrypt_resource(APIV3_KEY, nonce="abcdefghijkl", plaintext=b'{"out_trade_no":"P1"}',
                            associated_data="transaction") == SEALED


@pytest.mark.parametrize("apiv3_key, nonce, ciphertext, associated, problem", [
    (b"fedcba9876543210fedcba9876543210", "abcdefghijkl", SEALED, "transaction", "does not open"),
    (APIV3_KEY, "abcdefghijkl", SEALED, "certificate", "does not open"),
    (APIV3_KEY, "abcdefghijkm", SEALED, "transaction", "does not open"),
    (APIV3_KEY, "abcdefghijkl", "F" + SEALED[1:], "transaction", "does not open"),
    (APIV3_KEY, "abcdefghijkl", "%%%", "transaction", "not base64"),
    (b"short", "abcdefghijkl", SEALED, "transaction", "has 5 bytes, expected 32"),
    (APIV3_KEY, "", SEALED, "transaction", "nonce"),
])
def test_a_resource_that_does_not_open_says_why(apiv3_key, nonce, ciphertext, associated, problem):
    with pytest.raises(ResourceUnreadable, match=problem):
        decrypt_resource(apiv3_key, nonce=nonce, ciphertext=ciphertext, associated_data=associated)
