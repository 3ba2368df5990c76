"""VZ / Zhenshi heartbeat: the camera's periodic POST to ``HEARTBEAT_PATH``. Pure codec.

The camera sends a ``multipart/form-data`` body (some firmware: url-encoded form) with the fields::

    device_name  ipaddr  port  user_name  pass_wd  serialno  channel_num

In the normal mode it posts every ~5 s (30 s without offline checking); in "comet" mode it posts again as
soon as each answer arrives, so the server can put a command (open the gate, serial data) in the answer
at any time. The answer uses the same ``Response_AlarmInfoPlate`` envelope as plate results
(:func:`drivers.vz.push.encode_response`). A device is commonly considered online if heard within 30 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from drivers import multipart
from drivers.errors import DecodeError

ONLINE_WITHIN_SECONDS = 30
SERIAL_MAX = 128


@dataclass(frozen=True)
class VzHeartbeat:
    serialno: str
    device_name: str = ""
    ipaddr: str = ""
    port: int = 80
    user_name: str = ""
    password: str = ""
    channel_num: int = 1


def decode_heartbeat(body: bytes, content_type: str) -> VzHeartbeat:
    """Decode a heartbeat body of either form; ``DecodeError`` if ``serialno`` is missing."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind.startswith("multipart/"):
        fields = {p.name: p.body.decode("utf-8", "replace") for p in multipart.parse(body, content_type)}
    else:
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"heartbeat form: not UTF-8 (byte {exc.start})") from None
        fields = dict(parse_qsl(text, keep_blank_values=True))
    serialno = fields.get("serialno", "").strip()
    if not serialno:
        raise DecodeError("heartbeat: field serialno missing or empty; expected the camera serial number")
    if len(serialno) > SERIAL_MAX:
        raise DecodeError(f"heartbeat: field serialno has {len(serialno)} characters; at most {SERIAL_MAX}")
    return VzHeartbeat(serialno=serialno, device_name=fields.get("device_name", ""),
                       ipaddr=fields.get("ipaddr", ""), port=_int(fields, "port", 80),
                       user_name=fields.get("user_name", ""), password=fields.get("pass_wd", ""),
                       channel_num=_int(fields, "channel_num", 1))


def _int(fields: dict[str, str], key: str, default: int) -> int:
    value = fields.get(key, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise DecodeError(f"heartbeat field {key}: expected an integer, got {value[:40]!r}")
    return int(value)


def _fields(beat: VzHeartbeat) -> list[tuple[str, str]]:
    return [("device_name", beat.device_name), ("ipaddr", beat.ipaddr), ("port", str(beat.port)),
            ("user_name", beat.user_name), ("pass_wd", beat.password), ("serialno", beat.serialno),
            ("channel_num", str(beat.channel_num))]


def encode_heartbeat(beat: VzHeartbeat, *, boundary: str | None = None) -> tuple[bytes, str]:
    """The camera side: (multipart body, Content-Type)."""
    return multipart.build([multipart.Part(k, v.encode("utf-8")) for k, v in _fields(beat)], boundary)


def encode_heartbeat_form(beat: VzHeartbeat) -> tuple[bytes, str]:
    """The url-encoded variant some firmware sends."""
    return urlencode(_fields(beat)).encode("ascii"), "application/x-www-form-urlencoded"
