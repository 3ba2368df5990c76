"""The WeChat Pay merchant configuration: one TOML file, read once, every key checked, secrets kept out of code.

    mchid = "1900000001"
    appid = "wx8888888888888888"
    merchant_serial = "3775B6A45ACD588826D15E583A95F5DD********"   # serial of the merchant API certificate
    merchant_key_file = "apiclient_key.pem"      # PEM private key; relative paths resolve against this file
    apiv3_key_file = "apiv3_key.txt"             # or apiv3_key = "..." (32 bytes)
    platform_certificates = "platform"           # a folder of platform certificate PEMs, or one PEM file
    # platform_public_key_file = "pub_key.pem"   # and/or the newer platform public key ("微信支付公钥")
    # platform_public_key_id = "PUB_KEY_ID_0114232134912410000000000000"
    notify_url = "https://parking.example.com/payments/wechat/notify"
    gateway = "https://api.mch.weixin.qq.com"    # the default
    timeout_seconds = 5                          # the default

A missing or bad key raises :class:`PaymentConfigError` naming the key and the file. Keys live in files the
operator provides; the loaded key objects are kept out of ``repr``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from parking.payments.base import PaymentConfigError
from parking.payments.wechat_signing import APIV3_KEY_BYTES

DEFAULT_GATEWAY = "https://api.mch.weixin.qq.com"
DEFAULT_TIMEOUT_SECONDS = 5.0
KEYS = frozenset({"mchid", "appid", "merchant_serial", "merchant_key_file", "apiv3_key", "apiv3_key_file",
                  "platform_certificates", "platform_public_key_file", "platform_public_key_id", "notify_url",
                  "gateway", "timeout_seconds"})
_HEX = re.compile(r"^[0-9A-Fa-f]{1,64}$")
_MAX_PEM_BYTES = 64 * 1024


@dataclass(frozen=True)
class PlatformKey:
    """A key the platform signs with: a platform certificate's (serial upper-case hex), or the public key's id."""

    serial: str
    public_key: rsa.RSAPublicKey = field(repr=False)
    not_before: datetime | None = None  # certificate validity, UTC; None for a platform public key
    not_after: datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class WeChatPayConfig:
    mchid: str
    appid: str
    merchant_serial: str
    merchant_key: rsa.RSAPrivateKey = field(repr=False)
    apiv3_key: bytes = field(repr=False)
    platform_keys: Mapping[str, PlatformKey]
    notify_url: str
    gateway: str = DEFAULT_GATEWAY
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    source: Path | None = None

    def platform_key(self, serial: str) -> PlatformKey | None:
        """The key a ``Wechatpay-Serial`` header names, or None if this merchant does not know it."""
        return self.platform_keys.get(normal_serial(serial))


def normal_serial(serial: str) -> str:
    """Certificate serials compare as numbers (``0A1B`` is ``A1B``); a public key id compares as written."""
    text = serial.strip()
    return format(int(text, 16), "X") if _HEX.match(text) else text


def load_wechatpay_config(path: Path) -> WeChatPayConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PaymentConfigError(f"{path}: cannot read the WeChat Pay configuration: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PaymentConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _Reader(path, raw).config()


class _Reader:
    def __init__(self, path: Path, raw: Mapping[str, object]) -> None:
        self.path, self.raw = path, raw

    def fail(self, key: str, problem: str) -> PaymentConfigError:
        return PaymentConfigError(f"{self.path}: {key}: {problem}")

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "missing" if value is None else "expected a non-empty string")
        return value.strip()

    def file(self, key: str) -> Path:
        target = Path(self.text(key)).expanduser()
        return target if target.is_absolute() else self.path.parent / target

    def read(self, key: str, target: Path) -> bytes:
        try:
            if target.stat().st_size > _MAX_PEM_BYTES:
                raise self.fail(key, f"{target} is over {_MAX_PEM_BYTES} bytes; expected a PEM file")
            return target.read_bytes()
        except OSError as exc:
            raise self.fail(key, f"cannot read {target}: {exc.strerror or exc}") from exc

    def config(self) -> WeChatPayConfig:
        unknown = sorted(set(self.raw) - KEYS)
        if unknown:
            raise self.fail(unknown[0], f"unknown key (expected one of {', '.join(sorted(KEYS))})")
        mchid = self.text("mchid")
        if not mchid.isdigit() or len(mchid) > 32:
            raise self.fail("mchid", f"{mchid!r} is not a merchant number (digits)")
        serial = self.text("merchant_serial")
        if not _HEX.match(serial):
            raise self.fail("merchant_serial", f"{serial!r} is not a certificate serial (hexadecimal)")
        keys = {**self.certificates(), **self.public_key()}
        if not keys:
            raise self.fail("platform_certificates", "missing: give platform_certificates, or "
                            "platform_public_key_file with platform_public_key_id")
        return WeChatPayConfig(
            mchid=mchid, appid=self.text("appid"), merchant_serial=serial.upper(),
            merchant_key=self.merchant_key(), apiv3_key=self.apiv3_key(), platform_keys=keys,
            notify_url=self.url("notify_url", path_allowed=True),
            gateway=self.url("gateway", default=DEFAULT_GATEWAY).rstrip("/"),
            timeout_seconds=self.timeout(), source=self.path)

    def merchant_key(self) -> rsa.RSAPrivateKey:
        target = self.file("merchant_key_file")
        pem = self.read("merchant_key_file", target)
        try:
            key = load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise self.fail("merchant_key_file", f"{target} is not an unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise self.fail("merchant_key_file", f"{target} holds a {type(key).__name__}, expected an RSA key")
        return key

    def apiv3_key(self) -> bytes:
        inline, from_file = "apiv3_key" in self.raw, "apiv3_key_file" in self.raw
        if inline == from_file:
            raise self.fail("apiv3_key", "give exactly one of apiv3_key and apiv3_key_file")
        if inline:
            key, name = self.text("apiv3_key").encode("utf-8"), "apiv3_key"
        else:
            name = "apiv3_key_file"
            target = self.file(name)
            key = self.read(name, target).strip()
        if len(key) != APIV3_KEY_BYTES:
            raise self.fail(name, f"the APIv3 key has {len(key)} bytes, expected {APIV3_KEY_BYTES}")
        return key

    def certificates(self) -> dict[str, PlatformKey]:
        if "platform_certificates" not in self.raw:
            return {}
        target = self.file("platform_certificates")
        files = sorted(target.glob("*.pem")) if target.is_dir() else [target]
        if not files:
            raise self.fail("platform_certificates", f"{target} holds no *.pem certificate")
        found: dict[str, PlatformKey] = {}
        for pem in files:
            text = self.read("platform_certificates", pem)
            try:
                certs = x509.load_pem_x509_certificates(text)
            except ValueError as exc:
                raise self.fail("platform_certificates", f"{pem} is not a PEM certificate: {exc}") from exc
            for cert in certs:
                key = cert.public_key()
                if not isinstance(key, rsa.RSAPublicKey):
                    raise self.fail("platform_certificates", f"{pem} holds a non-RSA certificate")
                serial = format(cert.serial_number, "X")
                found[serial] = PlatformKey(serial, key, cert.not_valid_before_utc, cert.not_valid_after_utc,
                                            str(pem))
        return found

    def public_key(self) -> dict[str, PlatformKey]:
        has_file, has_id = "platform_public_key_file" in self.raw, "platform_public_key_id" in self.raw
        if not has_file and not has_id:
            return {}
        if not (has_file and has_id):
            missing = "platform_public_key_id" if has_file else "platform_public_key_file"
            raise self.fail(missing, "missing: the platform public key needs both its file and its id")
        key_id = self.text("platform_public_key_id")
        target = self.file("platform_public_key_file")
        pem = self.read("platform_public_key_file", target)
        try:
            key = load_pem_public_key(pem)
        except ValueError as exc:
            raise self.fail("platform_public_key_file", f"{target} is not a PEM public key: {exc}") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise self.fail("platform_public_key_file", f"{target} holds a non-RSA key")
        return {normal_serial(key_id): PlatformKey(key_id, key, source=str(target))}

    def url(self, key: str, *, default: str = "", path_allowed: bool = False) -> str:
        value = self.text(key, required=not default) or default
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(key, f"{value!r} is not an http(s) URL")
        try:
            parts.port
        except ValueError as exc:
            raise self.fail(key, f"{value!r} has a bad port") from exc
        if not path_allowed and (parts.path.strip("/") or parts.query):
            raise self.fail(key, f"{value!r}: expected scheme://host[:port] only")
        return value

    def timeout(self) -> float:
        value = self.raw.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 120:
            raise self.fail("timeout_seconds", f"{value!r}: expected a number of seconds in (0, 120]")
        return float(value)
