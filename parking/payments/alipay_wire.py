"""The Alipay OpenAPI wire format, as pure functions: what is signed, how, and how values are written.

- Signing content: the parameters sorted by name and joined as ``k=v&k=v`` with their plain (not
  URL-encoded) values. A request leaves out ``sign`` and every empty value; a notification leaves out
  ``sign`` and ``sign_type`` and keeps the rest as posted.
- RSA2 is RSA-SHA256 with PKCS#1 v1.5 padding over the UTF-8 content, the signature in base64.
- A gateway answer is ``{"<method with _ for .>_response": {...}, "sign": "..."}``; the signature covers
  the node's JSON text exactly as it stands in the body, so :func:`response_node` cuts it out of the text
  rather than serialising a parsed dict again (key order, spacing and escapes would differ).
- Amounts are yuan with at most two decimals (``"10.50"``); :func:`yuan_to_fen` reads them exactly with
  ``Decimal``. Times are ``YYYY-MM-DD HH:MM:SS`` in Asia/Shanghai; we hold them as aware UTC datetimes.

Nothing here does I/O; :mod:`parking.payments.alipay` does.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_YUAN = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")


# ------------------------------------------------------------------------------------------- amounts

def fen_to_yuan(fen: int) -> str:
    """``1050`` → ``"10.50"``: what Alipay's ``total_amount`` and ``refund_amount`` carry."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError(f"amount {fen!r}: expected an integer number of fen")
    return f"{Decimal(fen).scaleb(-2):.2f}"


def yuan_to_fen(text: str) -> int:
    """``"10.5"`` → ``1050``; a negative sign, a third decimal, an exponent or anything else is refused."""
    if not isinstance(text, str) or not _YUAN.fullmatch(text):
        raise ValueError(f"amount {text!r}: expected yuan with at most two decimals, like 10.50")
    return int(Decimal(text).scaleb(2))


# --------------------------------------------------------------------------------------------- times

def shanghai_text(at: datetime) -> str:
    """An aware datetime as Alipay writes times (Asia/Shanghai, to the second)."""
    if at.tzinfo is None:
        raise ValueError(f"time {at!r}: expected an aware datetime")
    return at.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def parse_shanghai(text: str) -> datetime:
    """``"2026-11-25 17:30:00"`` (Asia/Shanghai) → the same instant as an aware UTC datetime."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise ValueError(f"time {text!r}: expected YYYY-MM-DD HH:MM:SS")
    try:
        local = datetime.strptime(text, TIME_FORMAT)
    except ValueError as exc:
        raise ValueError(f"time {text!r}: {exc}") from None
    return local.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


# ------------------------------------------------------------------------------------------- signing

def request_sign_content(params: Mapping[str, str]) -> str:
    """What a request's ``sign`` covers: every non-empty parameter but ``sign``, sorted by name."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and k and v)


def notify_sign_content(params: Mapping[str, str]) -> str:
    """What a notification's ``sign`` covers: every parameter but ``sign`` and ``sign_type``, sorted."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type"))


def rsa2_sign(private_key: rsa.RSAPrivateKey, content: str) -> str:
    signature = private_key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_key: rsa.RSAPublicKey, content: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
        public_key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return True


def load_private_key(data: bytes) -> rsa.RSAPrivateKey:
    """A PEM private key, or the bare base64 (PKCS#8 or PKCS#1) that Alipay's key tool writes."""
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=None)
    else:
        key = serialization.load_der_private_key(base64.b64decode(b"".join(data.split()), validate=True),
                                                 password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    """A PEM public key, or the bare base64 that Alipay's open platform shows as 支付宝公钥."""
    if b"-----BEGIN" in data:
        key = serialization.load_pem_public_key(data)
    else:
        key = serialization.load_der_public_key(base64.b64decode(b"".join(data.split()), validate=True))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


# ------------------------------------------------------------------------------------------ answers

def response_node_name(method: str) -> str:
    """``alipay.trade.query`` → ``alipay_trade_query_response``."""
    return method.replace(".", "_") + "_response"


def top_level_members(text: str) -> dict[str, tuple[str, object]]:
    """Each top-level member of a JSON object: name → (its value's exact text, the parsed value).

    Raises ValueError for anything but one JSON object (with nothing after it) or for a repeated name.
    """
    decoder = json.JSONDecoder()
    members: dict[str, tuple[str, object]] = {}

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    i = skip(0)
    if text[i:i + 1] != "{":
        raise ValueError("expected a JSON object")
    i = skip(i + 1)
    if text[i:i + 1] == "}":
        i += 1
    else:
        while True:
            if text[i:i + 1] != '"':
                raise ValueError(f"expected a member name at character {i}")
            name, i = decoder.raw_decode(text, i)
            i = skip(i)
            if text[i:i + 1] != ":":
                raise ValueError(f"expected ':' at character {i}")
            start = skip(i + 1)
            value, end = decoder.raw_decode(text, start)
            if name in members:
                raise ValueError(f"member {name!r} appears twice")
            members[name] = (text[start:end], value)
            i = skip(end)
            if text[i:i + 1] == ",":
                i = skip(i + 1)
                continue
            if text[i:i + 1] == "}":
                i += 1
                break
            raise ValueError(f"expected ',' or '}}' at character {i}")
    if skip(i) != len(text):
        raise ValueError(f"unexpected text after the JSON object at character {i}")
    return members


def response_node(text: str, method: str) -> tuple[str, dict[str, object], str]:
    """(the node's exact text, the node, the ``sign``) of a gateway answer to ``method``.

    The node is the method's ``..._response`` member, or ``error_response`` when the gateway refused the
    call before reaching the method. ``sign`` is "" when the answer carries none. Raises ValueError.
    """
    members = top_level_members(text)
    for name in (response_node_name(method), "error_response"):
        if name in members:
            raw, node = members[name]
            if not isinstance(node, dict):
                raise ValueError(f"{name} is not an object")
            sign = members.get("sign", ("", ""))[1]
            if not isinstance(sign, str):
                raise ValueError("sign is not a string")
            return raw, node, sign
    raise ValueError(f"no {response_node_name(method)} in the answer")
