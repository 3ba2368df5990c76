"""The HTTP side of WeChat Pay APIv3: signed requests, verified answers, errors a person can act on.

Every request carries the merchant's ``Authorization`` signature. Every answer that carries a
``Wechatpay-Signature`` is verified with the platform key its ``Wechatpay-Serial`` names, and must be no more
than five minutes from our clock; a 2xx answer without one is refused, since a forged "paid" is worse than
none. The one unsigned answer is a bill file (the platform does not sign it); its SHA-1 is checked instead.

Failures become :class:`ProviderError`: network errors, 5xx and 429 are ``retryable``; any other 4xx
carries the platform's ``code`` and ``message``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from parking.payments.base import ProviderError
from parking.payments.wechat_config import WeChatPayConfig
from parking.payments.wechat_signing import authorization, response_message, verify

MAX_ANSWER_BYTES = 1024 * 1024
MAX_BILL_BYTES = 64 * 1024 * 1024
CLOCK_SKEW_SECONDS = 300
USER_AGENT = "parking/0.1 WeChatPay-APIv3"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    data: Mapping[str, object]  # the JSON object of the body, {} when empty


class WeChatPayClient:
    """Speaks to ``config.gateway``; one connection per call, so threads may share it."""

    def __init__(self, config: WeChatPayConfig, *, timeout: float, clock: Callable[[], datetime]) -> None:
        parts = urlsplit(config.gateway)
        self.config, self.timeout, self.clock = config, timeout, clock
        self.scheme, self.host, self.port = parts.scheme, parts.hostname or "", parts.port

    def call(self, method: str, path: str, *, what: str, query: Mapping[str, str] | None = None,
             body: Mapping[str, object] | None = None, signed: bool = True) -> Answer:
        """Send one signed request; a verified 2xx answer, else ProviderError. ``signed=False`` accepts an
        answer whose signature is absent or from an unknown key (its content must authenticate itself)."""
        target = f"{path}?{urlencode(query)}" if query else path
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        status, headers, raw = self._exchange(method, target, payload, what=what, limit=MAX_ANSWER_BYTES)
        if signed and ("wechatpay-signature" in headers or 200 <= status < 300):
            self._verify(headers, raw, what=what)
        parsed = _json_object(raw)
        data = parsed or {}
        if status >= 500 or status == 429:
            raise ProviderError(f"WeChat Pay could not {what} now (HTTP {status}{_said(data)}); try again",
                                code=str(data.get("code") or f"HTTP_{status}"), retryable=True)
        if status >= 300:
            raise ProviderError(f"WeChat Pay refused to {what} (HTTP {status}{_said(data)})",
                                code=str(data.get("code") or f"HTTP_{status}"))
        if parsed is None:
            raise ProviderError(f"WeChat Pay answered {what} with a body that is not a JSON object",
                                code="BAD_ANSWER")
        return Answer(status, headers, raw, data)

    def download(self, url: str, *, what: str) -> bytes:
        """GET a file the platform named (``download_url``), signed; the answer is unsigned by design."""
        parts = urlsplit(url)
        if (parts.scheme, parts.hostname, parts.port) != (self.scheme, self.host, self.port):
            raise ProviderError(f"WeChat Pay gave a download address {url!r} outside {self.config.gateway}; "
                                "not sending a signed request there", code="BAD_ANSWER")
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        status, _, raw = self._exchange("GET", target, b"", what=what, limit=MAX_BILL_BYTES)
        if status >= 500 or status == 429:
            raise ProviderError(f"WeChat Pay could not {what} now (HTTP {status}); try again",
                                code=f"HTTP_{status}", retryable=True)
        if status >= 300:
            data = _json_object(raw) or {}
            raise ProviderError(f"WeChat Pay refused to {what} (HTTP {status}{_said(data)})",
                                code=str(data.get("code") or f"HTTP_{status}"))
        return raw

    def _exchange(self, method: str, target: str, payload: bytes, *, what: str,
                  limit: int) -> tuple[int, dict[str, str], bytes]:
        timestamp = str(int(self.clock().timestamp()))
        nonce = secrets.token_hex(16).upper()
        headers = {
            "Authorization": authorization(mchid=self.config.mchid, serial=self.config.merchant_serial,
                                           key=self.config.merchant_key, method=method, path_with_query=target,
                                           body=payload, timestamp=timestamp, nonce=nonce),
            "Accept": "application/json", "User-Agent": USER_AGENT,
        }
        if payload:
            headers["Content-Type"] = "application/json"
        conn = self._connection()
        try:
            conn.request(method, target, body=payload or None, headers=headers)
            reply = conn.getresponse()
            raw = reply.read(limit + 1)
            answer_headers = {k.lower(): v for k, v in reply.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            raise ProviderError(f"WeChat Pay at {self.config.gateway} did not answer to {what}: "
                                f"{exc or type(exc).__name__}", code="NETWORK", retryable=True) from exc
        finally:
            conn.close()
        if len(raw) > limit:
            raise ProviderError(f"WeChat Pay answered {what} with more than {limit} bytes", code="BAD_ANSWER")
        return reply.status, answer_headers, raw

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _verify(self, headers: Mapping[str, str], body: bytes, *, what: str) -> None:
        fields = {name: headers.get(f"wechatpay-{name}", "") for name in ("signature", "timestamp", "nonce",
                                                                           "serial")}
        missing = [f"Wechatpay-{name.title()}" for name, value in fields.items() if not value]
        if missing:
            raise ProviderError(f"WeChat Pay's answer to {what} is not signed (no {', '.join(missing)})",
                                code="SIGNATURE")
        key = self.config.platform_key(fields["serial"])
        if key is None:
            raise ProviderError(f"WeChat Pay's answer to {what} is signed with platform key {fields['serial']!r}, "
                                "which this merchant's configuration does not hold (download the platform "
                                "certificates again)", code="CERTIFICATE")
        now = self.clock()
        if not fields["timestamp"].isdigit() or abs(now.timestamp() - int(fields["timestamp"])) > CLOCK_SKEW_SECONDS:
            raise ProviderError(f"WeChat Pay's answer to {what} has timestamp {fields['timestamp']!r}, more than "
                                f"{CLOCK_SKEW_SECONDS} s from our clock", code="TIMESTAMP")
        if (key.not_after and now > key.not_after) or (key.not_before and now < key.not_before):
            raise ProviderError(f"platform certificate {key.serial} is not valid now ({key.not_before:%Y-%m-%d} to "
                                f"{key.not_after:%Y-%m-%d})", code="CERTIFICATE")
        message = response_message(fields["timestamp"], fields["nonce"], body)
        if not verify(key.public_key, message, fields["signature"]):
            raise ProviderError(f"WeChat Pay's answer to {what} failed signature verification with platform key "
                                f"{key.serial}", code="SIGNATURE")


def sha1_matches(raw: bytes, expected_hex: str) -> bool:
    return hmac.compare_digest(hashlib.sha1(raw).hexdigest(), expected_hex.strip().lower())


def _json_object(raw: bytes) -> Mapping[str, object] | None:
    """The JSON object of a body ({} when empty), or None when it is something else."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _said(data: Mapping[str, object]) -> str:
    code, message = data.get("code"), data.get("message")
    return f": {code} {message}" if code or message else ""
