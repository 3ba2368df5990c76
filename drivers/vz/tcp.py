"""VZ / Zhenshi TCP protocol (the camera listens on port 8131): packet framer and JSON commands. Pure.

Packet::

    ┌─────┬─────┬──────┬────┬─────────────────────────┬────────────────┐
    │ 'V' │ 'Z' │ type │ sn │ length (u32 big-endian) │ body (length)  │
    └─────┴─────┴──────┴────┴─────────────────────────┴────────────────┘
      56    5A    00 JSON / 01 heartbeat (length 0) / 02 binary

    {"cmd":"getsn"}  →  56 5A 00 00 00 00 00 10 | 7B 22 63 6D 64 22 3A 22 67 65 74 73 6E 22 7D 00
                        (15 bytes of JSON and the NUL that ends the text: length 16)
    heartbeat        →  56 5A 01 00 00 00 00 00

Text on this channel is GB2312 (decoded here as its superset GB18030). The client sends a heartbeat
every 2 s; the camera drops a connection silent for 6 s. After ``ivsresult`` with ``enable: true`` the
camera pushes each recognition as a JSON packet whose body is the JSON text, ``"\\n\\0"``, then the
optional image bytes::

    56 5A 00 sn  LEN | {"cmd":"ivs_result","PlateResult":{...}} 0A 00 | FF D8 ... (JPEG)

Commands: ``getsn``, ``ivsresult``, ``trigger``, ``ioctl``, ``get_gpio_value``, ``ttransmission``
(RS485 pass-through: ``subcmd`` init / send / uninit, ``comm`` "rs485-1", ``data`` base64, ``datalen``).
The connection that speaks this over a socket is :mod:`drivers.vz.tcp_camera`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Callable

from drivers.resync import SkippingDecoder
from drivers.errors import DecodeError
from drivers.vz.push import VzPlateResult, plate_result_from_json, plate_result_to_json

MAGIC = b"VZ"
HEADER_LEN = 8
TYPE_JSON = 0
TYPE_HEARTBEAT = 1
TYPE_BINARY = 2
DEFAULT_PORT = 8131
HEARTBEAT_INTERVAL = 2.0
SILENCE_LIMIT = 6.0
MAX_BODY = 8 * 1024 * 1024
RESULT_SEPARATOR = b"\n\x00"


@dataclass(frozen=True)
class VzPacket:
    type: int
    body: bytes = b""
    sn: int = 0

    def encode(self) -> bytes:
        return encode_packet(self.type, self.body, self.sn)

    def json(self) -> dict[str, Any]:
        """The JSON object in a type-0 body (text before any ``\\n\\0`` and image)."""
        return decode_json_body(self.body)


def encode_packet(type: int, body: bytes = b"", sn: int = 0) -> bytes:
    if type not in (TYPE_JSON, TYPE_HEARTBEAT, TYPE_BINARY):
        raise ValueError(f"packet type {type}: expected 0 (JSON), 1 (heartbeat) or 2 (binary)")
    if not 0 <= sn <= 255:
        raise ValueError(f"sn {sn}: expected 0..255")
    return MAGIC + bytes([type, sn]) + len(body).to_bytes(4, "big") + bytes(body)


def encode_json(obj: dict[str, Any], sn: int = 0) -> bytes:
    """A JSON packet; the body is the text plus the NUL terminator the camera expects (hence 16 bytes for getsn)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("gb18030")
    return encode_packet(TYPE_JSON, text + b"\x00", sn)


def heartbeat(sn: int = 0) -> bytes:
    return encode_packet(TYPE_HEARTBEAT, b"", sn)


def decode_json_body(body: bytes) -> dict[str, Any]:
    text_bytes = bytes(body).split(RESULT_SEPARATOR, 1)[0].rstrip(b"\x00")
    try:
        text = text_bytes.decode("gb18030")
        doc = json.loads(text)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"VZ TCP JSON body: not GB2312/GB18030 text (byte {exc.start})") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(f"VZ TCP JSON body: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise DecodeError(f"VZ TCP JSON body: expected a JSON object, got {type(doc).__name__}")
    return doc


class PacketDecoder(SkippingDecoder):
    """Stream decoder: ``feed`` bytes, get whole :class:`VzPacket` values; skips bytes until ``VZ`` lines up.

    A header with an unknown type or a length over ``max_body`` is skipped (one byte, then resync) and
    reported through ``on_error`` and ``errors``, like :class:`drivers.olm.FrameDecoder`.
    """

    stream = "VZ TCP stream"

    def __init__(self, on_error: Callable[[DecodeError], None] | None = None, *, max_body: int = MAX_BODY) -> None:
        super().__init__(on_error)
        self.max_body = max_body

    def feed(self, data: bytes) -> list[VzPacket]:
        self._buf += data
        packets: list[VzPacket] = []
        while True:
            start = self._buf.find(MAGIC)
            if start < 0:
                keep = 1 if self._buf.endswith(b"V") else 0
                self._skip(len(self._buf) - keep, "no 'VZ' header")
                break
            if start:
                self._skip(start, "bytes before a 'VZ' header")
            if len(self._buf) < HEADER_LEN:
                break
            ptype, sn = self._buf[2], self._buf[3]
            length = int.from_bytes(self._buf[4:8], "big")
            if ptype not in (TYPE_JSON, TYPE_HEARTBEAT, TYPE_BINARY):
                self._skip(1, f"header type 0x{ptype:02X}, expected 00, 01 or 02")
                continue
            if length > self.max_body:
                self._skip(1, f"header length {length} above the limit of {self.max_body}")
                continue
            if len(self._buf) < HEADER_LEN + length:
                break
            self._report()
            packets.append(VzPacket(ptype, bytes(self._buf[HEADER_LEN:HEADER_LEN + length]), sn))
            del self._buf[:HEADER_LEN + length]
        if len(self._garbage) >= 256:
            self._report()
        return packets



# ------------------------------------------------------------------------------------------ commands

def cmd_getsn() -> dict[str, Any]:
    return {"cmd": "getsn"}


def cmd_ivsresult(enable: bool = True, *, image: bool = True, image_type: int = 0) -> dict[str, Any]:
    return {"cmd": "ivsresult", "enable": enable, "format": "json", "image": image, "image_type": image_type}


def cmd_trigger() -> dict[str, Any]:
    return {"cmd": "trigger"}


def cmd_ioctl(io: int, value: int, delay_ms: int = 500) -> dict[str, Any]:
    """IO output ``io`` (0..3): value 0 off, 1 on (hold), 2 pulse for ``delay_ms``."""
    if not 0 <= io <= 3 or value not in (0, 1, 2) or delay_ms < 0:
        raise ValueError(f"ioctl io={io} value={value} delay={delay_ms}: expected io 0..3, value 0/1/2, delay >= 0")
    return {"cmd": "ioctl", "io": io, "value": value, "delay": delay_ms}


def cmd_get_gpio_value(gpio: int = 0) -> dict[str, Any]:
    return {"cmd": "get_gpio_value", "gpio": gpio}


def cmd_ttransmission(subcmd: str, data: bytes = b"", comm: str = "rs485-1") -> dict[str, Any]:
    """RS485 pass-through: ``init`` opens the port, ``send`` writes ``data``, ``uninit`` closes it."""
    if subcmd not in ("init", "send", "uninit"):
        raise ValueError(f"ttransmission subcmd {subcmd!r}: expected init, send or uninit")
    doc: dict[str, Any] = {"cmd": "ttransmission", "subcmd": subcmd, "comm": comm}
    if subcmd == "send":
        doc.update(data=base64.b64encode(bytes(data)).decode("ascii"), datalen=len(data))
    return doc


def ttransmission_data(doc: dict[str, Any]) -> bytes:
    """The camera side: the bytes a ``ttransmission`` ``send`` asks to forward, checked against ``datalen``."""
    try:
        data = base64.b64decode(str(doc.get("data", "")), validate=True)
    except ValueError as exc:
        raise DecodeError(f"ttransmission.data: not valid base64 ({exc})") from None
    if "datalen" in doc and doc["datalen"] != len(data):
        raise DecodeError(f"ttransmission.datalen: says {doc['datalen']!r}, data decodes to {len(data)} bytes")
    return data


# ------------------------------------------------------------------------------------------- results

def is_result(doc: dict[str, Any]) -> bool:
    return doc.get("cmd") in ("ivs_result", "ivsresult") and ("PlateResult" in doc or "AlarmInfoPlate" in doc)


def decode_result(packet: VzPacket, serialno: str = "") -> VzPlateResult:
    """A pushed recognition: the JSON ``PlateResult`` plus the image bytes after ``\\n\\0``, if any."""
    doc = packet.json()
    plate = doc.get("PlateResult")
    if plate is None and isinstance(doc.get("AlarmInfoPlate"), dict):
        plate = doc["AlarmInfoPlate"].get("result", {}).get("PlateResult") if isinstance(
            doc["AlarmInfoPlate"].get("result"), dict) else None
    if plate is None:
        raise DecodeError("VZ TCP result: PlateResult missing; expected a JSON object")
    _, sep, image = bytes(packet.body).partition(RESULT_SEPARATOR)
    return plate_result_from_json(plate, serialno=str(doc.get("serialno", serialno)),
                                  channel=doc["channel"] if isinstance(doc.get("channel"), int) else 0,
                                  device_name=str(doc.get("deviceName", "")), ipaddr=str(doc.get("ipaddr", "")),
                                  path="PlateResult", image=image if sep and image else None)


def encode_result(result: VzPlateResult, sn: int = 0) -> bytes:
    """The camera side: push ``result`` as a JSON packet with the image appended after ``\\n\\0``."""
    doc = {"cmd": "ivs_result", "serialno": result.serialno, "deviceName": result.device_name,
           "ipaddr": result.ipaddr, "channel": result.channel,
           "PlateResult": plate_result_to_json(result, with_images=False)}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("gb18030")
    body = text + RESULT_SEPARATOR + (result.image or b"")
    return encode_packet(TYPE_JSON, body, sn)
