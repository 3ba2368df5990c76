"""WeChat Pay APIv3 signatures and encrypted resources, exactly as the published specification states them.

A request is signed with the merchant's private key (RSA PKCS#1 v1.5 over SHA-256, base64) over::

    METHOD\\nURL_PATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n

and carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",signature="..",
timestamp="..",serial_no=".."``. A response or a notification is signed by the platform over::

    TIMESTAMP\\nNONCE\\nBODY\\n

with the key its ``Wechatpay-Serial`` header names (a platform certificate's serial, or the id of the
platform public key). Resources in notifications and in ``/v3/certificates`` are AEAD_AES_256_GCM with the
32-byte APIv3 key: a 12-byte ``nonce``, ``associated_data``, and ``ciphertext`` = base64(ciphertext || tag).

Only pure functions over bytes and keys live here; files are read by :mod:`parking.payments.wechat_config`
and HTTP is spoken by :mod:`parking.payments.wechat_http`.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
APIV3_KEY_BYTES = 32


class ResourceUnreadable(ValueError):
    """An encrypted resource that the APIv3 key does not open (wrong key, tampered, or not base64)."""


def request_message(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    head = f"{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n".encode("utf-8")
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode("utf-8") + body + b"\n"


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return True


def authorization(*, mchid: str, serial: str, key: rsa.RSAPrivateKey, method: str, path_with_query: str,
                  body: bytes, timestamp: str, nonce: str) -> str:
    """The ``Authorization`` header of one request."""
    signature = sign(key, request_message(method, path_with_query, timestamp, nonce, body))
    return (f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial}"')


def decrypt_resource(apiv3_key: bytes, *, nonce: str, ciphertext: str, associated_data: str) -> bytes:
    """The plaintext of an AEAD_AES_256_GCM resource; ResourceUnreadable if it does not open."""
    if len(apiv3_key) != APIV3_KEY_BYTES:
        raise ResourceUnreadable(f"the APIv3 key has {len(apiv3_key)} bytes, expected {APIV3_KEY_BYTES}")
    try:
        sealed = base64.b64decode(ciphertext.encode("ascii"), validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode("utf-8"), sealed, associated_data.encode("utf-8"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ResourceUnreadable(f"ciphertext is not base64: {exc}") from exc
    except InvalidTag as exc:
        raise ResourceUnreadable("ciphertext does not open with the APIv3 key (tampered, or another key)") from exc
    except ValueError as exc:  # an empty or over-long nonce
        raise ResourceUnreadable(f"nonce {nonce!r} is not usable: {exc}") from exc


def encrypt_resource(apiv3_key: bytes, *, nonce: str, plaintext: bytes, associated_data: str) -> str:
    """base64(ciphertext || tag): the inverse of :func:`decrypt_resource`, for tests and tools."""
    sealed = AESGCM(apiv3_key).encrypt(nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")
