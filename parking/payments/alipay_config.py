"""The Alipay merchant's settings, read from a TOML file; the keys themselves live in PEM files beside it.

    app_id = "2021000000000001"
    app_private_key_file = "app_private_key.pem"      # relative paths start at this file's folder
    alipay_public_key_file = "alipay_public_key.pem"  # 支付宝公钥 (PEM, or the bare base64 Alipay shows)
    seller_id = "2088000000000001"                     # optional: notifications must name this seller
    notify_url = "https://parking.example.com/payments/alipay/notify"
    return_url = "https://parking.example.com/paid"    # optional: where the phone cashier returns
    gateway = "https://openapi.alipay.com/gateway.do"  # the default
    timeout_seconds = 5                                # the default

Every problem raises :class:`PaymentConfigError` naming the key and the file. Keys never live in code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.alipay_wire import load_private_key, load_public_key
from parking.payments.base import PaymentConfigError

DEFAULT_GATEWAY = "https://openapi.alipay.com/gateway.do"
KEYS = ("app_id", "app_private_key_file", "alipay_public_key_file", "seller_id", "notify_url", "return_url",
        "gateway", "timeout_seconds")


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    app_private_key: rsa.RSAPrivateKey = field(repr=False)
    alipay_public_key: rsa.RSAPublicKey = field(repr=False)
    notify_url: str
    seller_id: str = ""
    return_url: str = ""
    gateway: str = DEFAULT_GATEWAY
    timeout_seconds: float = 5.0


def load_alipay_config(path: Path) -> AlipayConfig:
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise PaymentConfigError(f"{path}: cannot read the Alipay configuration: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PaymentConfigError(f"{path}: not valid TOML: {exc}") from None

    def fail(key: str, problem: str) -> PaymentConfigError:
        return PaymentConfigError(f"{path}: {key}: {problem}")

    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise fail(unknown[0], f"unknown key (expected some of {', '.join(KEYS)})")

    def text(key: str, *, required: bool) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            raise fail(key, f"expected a string, got {type(value).__name__}")
        value = value.strip()
        if required and not value:
            raise fail(key, "missing")
        return value

    def url(key: str, *, required: bool, default: str = "") -> str:
        value = text(key, required=required) or default
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise fail(key, f"{value!r} is not an http(s) address")
        return value

    def key_file(key: str) -> bytes:
        file = Path(text(key, required=True))
        file = file if file.is_absolute() else path.parent / file
        try:
            return file.read_bytes()
        except OSError as exc:
            raise fail(key, f"cannot read {file}: {exc.strerror or exc}") from None

    app_id = text("app_id", required=True)
    if not app_id.isascii() or not app_id.isalnum():
        raise fail("app_id", f"{app_id!r} is not an Alipay app id (digits, like 2021000000000001)")
    try:
        private_key = load_private_key(key_file("app_private_key_file"))
    except (ValueError, TypeError) as exc:
        raise fail("app_private_key_file", f"not an RSA private key in PEM or base64 ({exc})") from None
    try:
        public_key = load_public_key(key_file("alipay_public_key_file"))
    except (ValueError, TypeError) as exc:
        raise fail("alipay_public_key_file", f"not an RSA public key in PEM or base64 ({exc})") from None
    timeout = data.get("timeout_seconds", 5)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        raise fail("timeout_seconds", f"{timeout!r}: expected a number of seconds above 0, at most 120")
    return AlipayConfig(
        app_id=app_id,
        app_private_key=private_key,
        alipay_public_key=public_key,
        notify_url=url("notify_url", required=True),
        seller_id=text("seller_id", required=False),
        return_url=url("return_url", required=False),
        gateway=url("gateway", required=False, default=DEFAULT_GATEWAY),
        timeout_seconds=float(timeout),
    )
