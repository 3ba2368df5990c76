"""Unguessable codes for the public payment pages: each opens only what it was made for.

- an exit lane's fixed QR (出口码): ``/pay/exit/<lane code>?k=<key>``; the key is a MAC of the lane's id,
  so a printed QR names its lane and cannot be turned into another lane's by editing the URL;
- a stay's pay-ahead page: ``/pay/stay/<code>``, the code carrying the lot and the stay (session uid);
- an e-receipt: ``/r/<code>``, the code carrying the stay;
- an order's result page and status poll: ``/pay/order/<code>``, the code carrying the order (payment uid).

A code is the payload and a 64-bit HMAC-SHA256 tag, in lower-case base32 without padding. The MAC key is
derived from the app's secret key for this purpose only, and every MAC covers the code's kind, so a
stay's code does not open a receipt or an order. Codes do not expire: a receipt is kept, and a stay or
order page shows its current state whenever it is opened. Changing the secret key voids every code and
every printed exit QR.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import quote

TAG_BYTES = 8
MAX_CODE_CHARS = 96
_HEX_UID = re.compile(r"[0-9a-f]{32}")
_CODE = re.compile(r"[a-z2-7]+")
Kind = str  # exit | stay | receipt | order


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _unb32(code: str) -> bytes | None:
    if not code or len(code) > MAX_CODE_CHARS or not _CODE.fullmatch(code):
        return None
    try:
        raw = base64.b32decode(code.upper() + "=" * (-len(code) % 8))
    except (binascii.Error, ValueError):
        return None
    return raw if _b32(raw) == code else None  # one spelling per code: the unused low bits of its last letter are zero


def _uid_bytes(uid: str) -> bytes:
    """A uid as few bytes: 16 for the usual 32 hex digits, its UTF-8 text otherwise."""
    if _HEX_UID.fullmatch(uid):
        return b"\x01" + bytes.fromhex(uid)
    raw = uid.encode("utf-8")
    if not raw or len(raw) > 64:
        raise ValueError(f"uid {uid[:70]!r}: expected 1 to 64 bytes")
    return b"\x02" + bytes([len(raw)]) + raw


def _read_uid(raw: bytes) -> tuple[str, bytes] | None:
    """The uid at the start of ``raw`` and what follows it."""
    if raw[:1] == b"\x01" and len(raw) >= 17:
        return raw[1:17].hex(), raw[17:]
    if raw[:1] == b"\x02" and len(raw) >= 2 and len(raw) >= 2 + raw[1]:
        try:
            return raw[2:2 + raw[1]].decode("utf-8"), raw[2 + raw[1]:]
        except UnicodeDecodeError:
            return None
    return None


def _id_bytes(number: int) -> bytes:
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError(f"id {number!r}: expected a whole number")
    size = max(1, (number.bit_length() + 7) // 8)
    return bytes([size]) + number.to_bytes(size, "big")


def _read_id(raw: bytes) -> tuple[int, bytes] | None:
    if not raw or not 1 <= raw[0] <= 8 or len(raw) < 1 + raw[0]:
        return None
    return int.from_bytes(raw[1:1 + raw[0]], "big"), raw[1 + raw[0]:]


class PayLinks:
    """Makes and opens the codes of one instance (``secret_key``: the app's ``SECRET_KEY``)."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("secret_key: empty; payment links need the app's secret key")
        self._key = hashlib.sha256(b"parking.pay_links\x00" + secret_key.encode("utf-8")).digest()

    def _tag(self, kind: Kind, payload: bytes) -> bytes:
        return hmac.new(self._key, kind.encode("ascii") + b"\x00" + payload, hashlib.sha256).digest()[:TAG_BYTES]

    def _seal(self, kind: Kind, payload: bytes) -> str:
        return _b32(payload + self._tag(kind, payload))

    def _open(self, kind: Kind, code: str) -> bytes | None:
        raw = _unb32(code)
        if raw is None or len(raw) <= TAG_BYTES:
            return None
        payload, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
        return payload if hmac.compare_digest(tag, self._tag(kind, payload)) else None

    # -- the exit lane's QR ---------------------------------------------------------------------------

    def exit_key(self, lane_id: int) -> str:
        return _b32(self._tag("exit", _id_bytes(lane_id)))

    def exit_key_matches(self, lane_id: int, key: str) -> bool:
        return isinstance(key, str) and len(key) <= MAX_CODE_CHARS and hmac.compare_digest(
            key.encode("ascii", "replace"), self.exit_key(lane_id).encode("ascii"))

    def exit_path(self, lane_code: str, lane_id: int) -> str:
        return f"/pay/exit/{quote(lane_code, safe='')}?k={self.exit_key(lane_id)}"

    # -- a stay's pay-ahead page ----------------------------------------------------------------------

    def stay_code(self, lot_id: int, session_uid: str) -> str:
        return self._seal("stay", _id_bytes(lot_id) + _uid_bytes(session_uid))

    def open_stay(self, code: str) -> tuple[int, str] | None:
        """(lot id, session uid) of a stay code, or None when it does not verify."""
        payload = self._open("stay", code)
        lot = _read_id(payload) if payload else None
        uid = _read_uid(lot[1]) if lot else None
        return (lot[0], uid[0]) if lot and uid and not uid[1] else None

    # -- an e-receipt ---------------------------------------------------------------------------------

    def receipt_code(self, session_uid: str) -> str:
        return self._seal("receipt", _uid_bytes(session_uid))

    def open_receipt(self, code: str) -> str | None:
        payload = self._open("receipt", code)
        uid = _read_uid(payload) if payload else None
        return uid[0] if uid and not uid[1] else None

    # -- an order's result page -----------------------------------------------------------------------

    def order_code(self, payment_uid: str) -> str:
        return self._seal("order", _uid_bytes(payment_uid))

    def open_order(self, code: str) -> str | None:
        payload = self._open("order", code)
        uid = _read_uid(payload) if payload else None
        return uid[0] if uid and not uid[1] else None
