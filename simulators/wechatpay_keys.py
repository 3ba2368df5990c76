"""Keys, certificates and signatures on the platform side of the WeChat Pay simulator, and
:func:`generate_merchant`, which equips a merchant to talk to it.

Written from the APIv3 specification independently of the provider in ``parking/payments``, so that each
side checks the other: a request is signed over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``, an answer
or a notification over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (RSA PKCS#1 v1.5, SHA-256, base64), and resources are
sealed with AES-256-GCM under the merchant's 32-byte APIv3 key.

``generate_merchant`` writes into a folder what a real merchant downloads from the merchant platform
(``apiclient_key.pem``, ``apiclient_cert.pem``, the APIv3 key), registers the merchant with the running
simulator at ``gateway`` (``POST /_sim/merchants``), writes the platform certificate (or public key) the
simulator answers with, and the TOML file ``parking.payments.wechat.load_wechatpay_config`` reads. An
existing merchant key and APIv3 key in the folder are kept, so a restarted simulator can be re-equipped.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key: rsa.RSAPrivateKey, common_name: str, now: datetime, *, years: int = 5) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com (simulated)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * years)).sign(key, hashes.SHA256()))


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "X")


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verifies(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def answer_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def request_message(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{method}\n{target}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def parse_authorization(header: str) -> dict[str, str] | None:
    """The fields of a ``WECHATPAY2-SHA256-RSA2048 k="v",...`` header, or None if it is not one."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme != SCHEMA:
        return None
    fields = dict(_AUTH_FIELD.findall(rest))
    needed = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    return fields if all(fields.get(k) for k in needed) else None


def seal(apiv3_key: bytes, plaintext: bytes, associated_data: str) -> dict[str, str]:
    """An encrypted resource as the platform sends it (AEAD_AES_256_GCM, a fresh 12-character nonce)."""
    nonce = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
    sealed = AESGCM(apiv3_key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(sealed).decode(),
            "associated_data": associated_data, "nonce": nonce}


def generate_merchant(folder: Path, *, notify_url: str, gateway: str, mchid: str = "1900000001",
                      appid: str = "wx8888888888888888", key_mode: str = "certificate") -> Path:
    """Equip merchant ``mchid`` for the simulator at ``gateway`` in ``folder``; return the TOML path.

    ``key_mode`` "certificate" writes the platform certificate into ``platform/``; "public_key" writes the
    platform public key (微信支付公钥) and its id instead."""
    if key_mode not in ("certificate", "public_key"):
        raise ValueError(f"key_mode {key_mode!r}: expected 'certificate' or 'public_key'")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = _merchant_key(folder / "apiclient_key.pem")
    cert = _merchant_cert(folder / "apiclient_cert.pem", key, mchid)
    apiv3_key = _apiv3_key(folder / "apiv3_key.txt")
    platform = _register(gateway, {"mchid": mchid, "appid": appid, "merchant_serial": serial_hex(cert),
                                   "merchant_certificate": cert_pem(cert).decode(), "apiv3_key": apiv3_key,
                                   "key_mode": key_mode})
    lines = [f"mchid = {json.dumps(mchid)}", f"appid = {json.dumps(appid)}",
             f"merchant_serial = {json.dumps(serial_hex(cert))}", 'merchant_key_file = "apiclient_key.pem"',
             'apiv3_key_file = "apiv3_key.txt"']
    if key_mode == "certificate":
        certs = folder / "platform"
        certs.mkdir(exist_ok=True)
        for old in certs.glob("wechatpay_*.pem"):
            old.unlink()
        (certs / f"wechatpay_{platform['platform_serial']}.pem").write_text(platform["platform_certificate"])
        lines.append('platform_certificates = "platform"')
    else:
        (folder / "pub_key.pem").write_text(platform["platform_public_key"])
        lines += ['platform_public_key_file = "pub_key.pem"',
                  f"platform_public_key_id = {json.dumps(platform['platform_public_key_id'])}"]
    lines += [f"notify_url = {json.dumps(notify_url)}", f"gateway = {json.dumps(gateway.rstrip('/'))}",
              "timeout_seconds = 5"]
    toml = folder / "wechatpay.toml"
    toml.write_text("# WeChat Pay merchant for the simulator, written by simulators.wechatpay\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")
    return toml


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _merchant_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = new_rsa_key()
    _private_write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return key


def _merchant_cert(path: Path, key: rsa.RSAPrivateKey, mchid: str) -> x509.Certificate:
    if path.exists():
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        if cert.public_key() == key.public_key():
            return cert
    cert = self_signed(key, mchid, datetime.now(timezone.utc), years=20)
    path.write_bytes(cert_pem(cert))
    return cert


def _apiv3_key(path: Path) -> str:
    if path.exists():
        text = path.read_text().strip()
        if len(text.encode()) == 32:
            return text
    text = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    _private_write(path, text.encode() + b"\n")
    return text


def _register(gateway: str, merchant: dict[str, str]) -> dict[str, str]:
    parts = urlsplit(gateway)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"gateway {gateway!r}: expected the simulator's http://host:port")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
    try:
        conn.request("POST", "/_sim/merchants", body=json.dumps(merchant).encode(),
                     headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        body = reply.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ConnectionError(f"no WeChat Pay simulator answers at {gateway}: {exc}") from exc
    finally:
        conn.close()
    if reply.status != 200:
        raise ConnectionError(f"the simulator at {gateway} refused merchant {merchant['mchid']}: "
                              f"HTTP {reply.status} {body[:200]!r}")
    return json.loads(body)
