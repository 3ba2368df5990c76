"""VZ / Zhenshi (臻识) HTTP push: plate results in, gate and RS485 commands out. Pure codec, no I/O.

The camera is the HTTP client. It POSTs UTF-8 JSON to ``PLATE_RESULT_PATH`` and treats the body of the
HTTP answer as a command channel (open the gate, pulse an IO output, forward bytes to its RS485 port)::

    camera ── POST /devicemanagement/php/plateresult.php ──────────────────────────►  server
      {"AlarmInfoPlate": {"channel":0, "deviceName":"IVS", "ipaddr":"192.168.1.100",
                          "serialno":"fe71e106-57263272",
                          "result": {"PlateResult": {"license":"粤B12345", "colorType":1, "type":1,
                                     "confidence":96, "direction":0, "triggerType":1, "plateid":21085,
                                     "isoffline":0, "is_fake_plate":0,
                                     "timeStamp":{"Timeval":{"sec":1686299994,"usec":687772}},
                                     "imageFile":"<base64 JPEG>", "imageFragmentFile":"<base64 crop>"}}}}
    camera ◄─ 200 ────────────────────────────────────────────────────────────────────  server
      {"Response_AlarmInfoPlate": {"info":"ok",                                   ← open the gate
                                   "ivs_ioctrl":{"io":0,"value":2,"delay":500},   ← IO out 0, pulse 500 ms
                                   "serialData":[{"serialChannel":0,"data":"<base64>","dataLen":N}],
                                   "ContinuePushOffline":{"plateid":21085,"continue":1},
                                   "manualTrigger":"ok"}}

``decode_plate_result`` / ``encode_response`` are the server side; ``encode_plate_result`` /
``decode_response`` are the camera side, used by the simulator. Heartbeats live in :mod:`.heartbeat`.
Decoding is tolerant where firmware differs (numbers sent as strings, missing optional fields, empty
images) and strict where a wrong reading would open a gate for the wrong car (``license``, ``serialno``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from drivers.errors import DecodeError
from drivers.interfaces import PlateRead

PLATE_RESULT_PATH = "/devicemanagement/php/plateresult.php"
HEARTBEAT_PATH = "/devicemanagement/php/receivedeviceinfo.php"
SNAPSHOT_PATH = "/devicemanagement/php/receivepic.php"

NO_PLATE = "_无_"
"""``license`` sent for a vehicle whose plate could not be read."""

COLOR_NAMES = {0: "unknown", 1: "blue", 2: "yellow", 3: "white", 4: "black", 5: "green", 6: "yellow-green"}
TRIGGER_NAMES = {1: "auto", 2: "io", 4: "software", 8: "virtual-loop"}


@dataclass(frozen=True)
class VzPlateResult:
    """One recognition as the camera reported it; ``license`` is the raw text (``"_无_"`` for none)."""

    serialno: str
    channel: int
    device_name: str
    ipaddr: str
    license: str
    color_type: int = 1
    plate_type: int = 1
    confidence: int = 0
    direction: int = 0
    trigger_type: int = 1
    plateid: int = 0
    is_offline: bool = False
    is_fake: bool = False
    timestamp: datetime | None = None
    image: bytes | None = None
    plate_image: bytes | None = None

    @property
    def has_plate(self) -> bool:
        return bool(self.license) and self.license != NO_PLATE


@dataclass
class VzResponse:
    """What the server tells the camera in the body of its HTTP answer."""

    open_gate: bool = False
    serial_data: list[bytes] = field(default_factory=list)
    ioctrl: tuple[int, int, int] | None = None
    continue_offline_plateid: int | None = None
    manual_trigger: bool = False


def plate_read(r: VzPlateResult, device: str | None = None) -> PlateRead:
    """The camera-neutral read of a VZ result (push or TCP); ``device`` defaults to its serial number."""
    return PlateRead(device=device or r.serialno, license=r.license if r.has_plate else "",
                     color=COLOR_NAMES.get(r.color_type, "unknown"), confidence=r.confidence, at=r.timestamp,
                     event_id=str(r.plateid) if r.plateid else "", offline=r.is_offline, fake=r.is_fake,
                     image=r.image, plate_image=r.plate_image)


# ----------------------------------------------------------------------------------------- field readers

_INT_TEXT = re.compile(r"-?[0-9]{1,18}")

def _load_json(body: bytes, what: str) -> Any:
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise DecodeError(f"{what}: expected bytes, got {type(body).__name__}")
    raw = bytes(body)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Some older firmware sends GBK; accept it rather than drop a plate read.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise DecodeError(f"{what}: body is neither UTF-8 nor GB18030 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):  # an integer of thousands of digits
            raise DecodeError(f"{what}: a number in the body is too long") from None
        raise DecodeError(f"{what}: body is not valid JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise DecodeError(f"{what}: body is not valid JSON (nesting too deep)") from None


def _object(parent: Any, key: str, path: str) -> dict[str, Any]:
    if not isinstance(parent, dict) or key not in parent:
        raise DecodeError(f"{path}: missing; expected a JSON object")
    value = parent[key]
    if not isinstance(value, dict):
        raise DecodeError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


TEXT_MAX = 128  # characters of any text field; a plate (three joined for cross-border cars) is far shorter
LICENSE_MAX = 40
INT_RANGE = (-(2**31), 2**63 - 1)  # what a camera's integer fields (ids, codes, seconds) can hold


def _str(obj: dict[str, Any], key: str, path: str, default: str | None = None, limit: int = TEXT_MAX) -> str:
    if key not in obj or obj[key] is None:
        if default is None:
            raise DecodeError(f"{path}: missing; expected a string")
        return default
    value = obj[key]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and default is not None:
        value = str(value)
    if not isinstance(value, str):
        raise DecodeError(f"{path}: expected a string, got {type(value).__name__}")
    if len(value) > limit:
        raise DecodeError(f"{path}: {len(value)} characters; at most {limit}")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise DecodeError(f"{path}: contains a lone surrogate, not text")
    return value


def _int(obj: dict[str, Any], key: str, path: str, default: int | None = 0) -> int:
    number = _int_value(obj, key, path, default)
    if not INT_RANGE[0] <= number <= INT_RANGE[1]:
        raise DecodeError(f"{path}: {str(number)[:20]}... is out of range")
    return number


def _int_value(obj: dict[str, Any], key: str, path: str, default: int | None) -> int:
    value = obj.get(key)
    if value is None:
        if default is None:
            raise DecodeError(f"{path}: missing; expected an integer")
        return default
    if isinstance(value, bool):
        raise DecodeError(f"{path}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    raise DecodeError(f"{path}: expected an integer, got {value!r:.40}")


def _flag(obj: dict[str, Any], key: str, path: str) -> bool:
    value = obj.get(key, 0)
    if isinstance(value, bool):
        return value
    return _int(obj, key, path) != 0


def _b64(obj: dict[str, Any], key: str, path: str) -> bytes | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DecodeError(f"{path}: expected a base64 string, got {type(value).__name__}")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"{path}: not valid base64 ({exc})") from None


def _timestamp(result: dict[str, Any], path: str) -> datetime | None:
    stamp = result.get("timeStamp")
    if stamp is None:
        return None
    if not isinstance(stamp, dict):
        raise DecodeError(f"{path}.timeStamp: expected a JSON object, got {type(stamp).__name__}")
    tv = stamp.get("Timeval")
    if tv is None:
        return None
    if not isinstance(tv, dict):
        raise DecodeError(f"{path}.timeStamp.Timeval: expected a JSON object, got {type(tv).__name__}")
    sec = _int(tv, "sec", f"{path}.timeStamp.Timeval.sec", default=None)
    usec = _int(tv, "usec", f"{path}.timeStamp.Timeval.usec", default=0)
    if not 0 <= usec < 1_000_000:
        raise DecodeError(f"{path}.timeStamp.Timeval.usec: expected 0..999999, got {usec}")
    try:
        return datetime.fromtimestamp(sec, tz=timezone.utc).replace(microsecond=usec)
    except (OverflowError, OSError, ValueError):
        raise DecodeError(f"{path}.timeStamp.Timeval.sec: {sec} is not a representable time") from None


# ------------------------------------------------------------------------------------------ plate result

def decode_plate_result(body: bytes) -> VzPlateResult:
    """Decode the JSON a camera POSTs to ``PLATE_RESULT_PATH``; raise ``DecodeError`` naming the field."""
    doc = _load_json(body, "plate result")
    alarm = _object(doc, "AlarmInfoPlate", "AlarmInfoPlate")
    serialno = _str(alarm, "serialno", "AlarmInfoPlate.serialno")
    if not serialno.strip():
        raise DecodeError("AlarmInfoPlate.serialno: empty; expected the camera serial number")
    result = _object(alarm, "result", "AlarmInfoPlate.result")
    plate = _object(result, "PlateResult", "AlarmInfoPlate.result.PlateResult")
    return plate_result_from_json(
        plate, serialno=serialno, channel=_int(alarm, "channel", "AlarmInfoPlate.channel"),
        device_name=_str(alarm, "deviceName", "AlarmInfoPlate.deviceName", default=""),
        ipaddr=_str(alarm, "ipaddr", "AlarmInfoPlate.ipaddr", default=""),
        path="AlarmInfoPlate.result.PlateResult")


def plate_result_from_json(plate: dict[str, Any], *, serialno: str, channel: int = 0, device_name: str = "",
                           ipaddr: str = "", path: str = "PlateResult",
                           image: bytes | None = None) -> VzPlateResult:
    """Read a ``PlateResult`` object (shared by the HTTP push and the TCP result subscription)."""
    if not isinstance(plate, dict):
        raise DecodeError(f"{path}: expected a JSON object, got {type(plate).__name__}")
    p = path
    return VzPlateResult(
        serialno=serialno,
        channel=channel,
        device_name=device_name,
        ipaddr=ipaddr,
        license=_str(plate, "license", f"{p}.license", limit=LICENSE_MAX),
        color_type=_int(plate, "colorType", f"{p}.colorType"),
        plate_type=_int(plate, "type", f"{p}.type"),
        confidence=_int(plate, "confidence", f"{p}.confidence"),
        direction=_int(plate, "direction", f"{p}.direction"),
        trigger_type=_int(plate, "triggerType", f"{p}.triggerType", default=1),
        plateid=_int(plate, "plateid", f"{p}.plateid"),
        is_offline=_flag(plate, "isoffline", f"{p}.isoffline"),
        is_fake=_flag(plate, "is_fake_plate", f"{p}.is_fake_plate"),
        timestamp=_timestamp(plate, p),
        image=_b64(plate, "imageFile", f"{p}.imageFile") if image is None else image,
        plate_image=_b64(plate, "imageFragmentFile", f"{p}.imageFragmentFile"),
    )


def plate_result_to_json(r: VzPlateResult, *, with_images: bool = True) -> dict[str, Any]:
    """The ``PlateResult`` object for ``r`` (camera side)."""
    plate: dict[str, Any] = {
        "license": r.license,
        "colorType": r.color_type,
        "type": r.plate_type,
        "confidence": r.confidence,
        "direction": r.direction,
        "triggerType": r.trigger_type,
        "plateid": r.plateid,
        "isoffline": int(r.is_offline),
        "is_fake_plate": int(r.is_fake),
    }
    if r.timestamp is not None:
        ts = r.timestamp if r.timestamp.tzinfo else r.timestamp.replace(tzinfo=timezone.utc)
        sec = int(ts.timestamp())
        plate["timeStamp"] = {"Timeval": {"sec": sec, "usec": ts.microsecond}}
    if r.image is not None and with_images:
        plate["imageFile"] = base64.b64encode(r.image).decode("ascii")
        plate["imageFileLen"] = len(r.image)
    if r.plate_image is not None and with_images:
        plate["imageFragmentFile"] = base64.b64encode(r.plate_image).decode("ascii")
        plate["imageFragmentFileLen"] = len(r.plate_image)
    return plate


def encode_plate_result(r: VzPlateResult) -> bytes:
    """The camera side: the UTF-8 JSON body a VZ camera would POST for ``r``."""
    plate = plate_result_to_json(r)
    doc = {"AlarmInfoPlate": {"channel": r.channel, "deviceName": r.device_name, "ipaddr": r.ipaddr,
                              "serialno": r.serialno, "result": {"PlateResult": plate}}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -------------------------------------------------------------------------------------------- response

def encode_response(resp: VzResponse) -> bytes:
    """The server side: ``{"Response_AlarmInfoPlate": {...}}`` as UTF-8 JSON."""
    body: dict[str, Any] = {"info": "ok" if resp.open_gate else "no"}
    if resp.ioctrl is not None:
        io, value, delay = resp.ioctrl
        if not 0 <= io <= 3 or value not in (0, 1, 2) or delay < 0:
            raise ValueError(f"ioctrl {resp.ioctrl!r}: expected io 0..3, value 0/1/2, delay_ms >= 0")
        body["ivs_ioctrl"] = {"io": io, "value": value, "delay": delay}
    if resp.serial_data:
        body["serialData"] = [
            {"serialChannel": 0, "data": base64.b64encode(bytes(d)).decode("ascii"), "dataLen": len(d)}
            for d in resp.serial_data
        ]
    if resp.continue_offline_plateid is not None:
        body["ContinuePushOffline"] = {"plateid": resp.continue_offline_plateid, "continue": 1}
    if resp.manual_trigger:
        body["manualTrigger"] = "ok"
    return json.dumps({"Response_AlarmInfoPlate": body}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def decode_response(body: bytes) -> VzResponse:
    """The camera side: read the server's answer. An empty body means "no command"."""
    if not bytes(body).strip():
        return VzResponse()
    doc = _load_json(body, "response")
    r = _object(doc, "Response_AlarmInfoPlate", "Response_AlarmInfoPlate")
    path = "Response_AlarmInfoPlate"
    resp = VzResponse(open_gate=r.get("info") == "ok", manual_trigger=r.get("manualTrigger") == "ok")
    if "ivs_ioctrl" in r:
        io = _object(r, "ivs_ioctrl", f"{path}.ivs_ioctrl")
        resp.ioctrl = (_int(io, "io", f"{path}.ivs_ioctrl.io"), _int(io, "value", f"{path}.ivs_ioctrl.value"),
                       _int(io, "delay", f"{path}.ivs_ioctrl.delay"))
    serial = r.get("serialData", [])
    if isinstance(serial, dict):
        serial = [serial]
    if not isinstance(serial, list):
        raise DecodeError(f"{path}.serialData: expected a list, got {type(serial).__name__}")
    for i, item in enumerate(serial):
        where = f"{path}.serialData[{i}]"
        if not isinstance(item, dict):
            raise DecodeError(f"{where}: expected a JSON object, got {type(item).__name__}")
        data = _b64(item, "data", f"{where}.data") or b""
        if "dataLen" in item and _int(item, "dataLen", f"{where}.dataLen") != len(data):
            raise DecodeError(f"{where}.dataLen: says {item['dataLen']}, but data decodes to {len(data)} bytes")
        resp.serial_data.append(data)
    if "ContinuePushOffline" in r:
        cont = _object(r, "ContinuePushOffline", f"{path}.ContinuePushOffline")
        if _int(cont, "continue", f"{path}.ContinuePushOffline.continue", default=1):
            resp.continue_offline_plateid = _int(cont, "plateid", f"{path}.ContinuePushOffline.plateid",
                                                 default=None)
    return resp
