"""Hikvision ISAPI ANPR push: the camera POSTs an alarm as multipart/form-data. Pure codec.

    POST (path configured on the camera)   Content-Type: multipart/form-data; boundary=B
    --B  name="anpr.xml"                  <EventNotificationAlert> ... <eventType>ANPR</eventType>
                                            <ANPR><licensePlate>粤B12345</licensePlate>
                                                  <confidenceLevel>98</confidenceLevel>
                                                  <direction>forward</direction> <plateColor>blue</plateColor>
                                                  <vehicleType>vehicle</vehicleType></ANPR>
                                            <activePostCount>1</activePostCount> ...
    --B  name="licensePlatePicture.jpg"   JPEG
    --B  name="detectionPicture.jpg"      JPEG
    --B--

Answer 200 at once. ``activePostCount`` counts how many times this alarm was sent: deduplicate on
(device, plate, dateTime). Some firmware posts the bare XML instead of multipart; both are read.
The gate is opened with ``PUT /ISAPI/Parking/channels/1/barrierGate`` and :func:`barrier_gate_body`
(HTTP Digest authentication, done by the caller's HTTP client).
XML with a DOCTYPE or entity declarations is refused before parsing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape
from dataclasses import dataclass
from datetime import datetime

from drivers import multipart
from drivers.errors import DecodeError
from drivers.interfaces import PlateRead

BARRIER_GATE_PATH = "/ISAPI/Parking/channels/{channel}/barrierGate"
GATE_MODES = ("open", "close", "lock", "unlock")


@dataclass(frozen=True)
class HikAnprEvent:
    license: str
    confidence: int
    direction: str
    plate_color: str
    vehicle_type: str
    active_post_count: int
    channel: int
    ip_address: str
    mac_address: str
    date_time: datetime | None
    plate_picture: bytes | None = None
    detection_picture: bytes | None = None

    @property
    def has_plate(self) -> bool:
        return bool(self.license) and self.license not in ("unknown", "无车牌", "车牌")


def _strip_namespaces(root: ET.Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]


def _text(root: ET.Element, path: str, default: str = "") -> str:
    el = root.find(path)
    return (el.text or "").strip() if el is not None else default


def _int(root: ET.Element, path: str, default: int) -> int:
    value = _text(root, path)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise DecodeError(f"anpr.xml {path}: expected an integer, got {value[:40]!r}") from None


def decode_anpr_xml(xml: bytes) -> HikAnprEvent:
    head = bytes(xml[:4096]).upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in bytes(xml).upper():
        raise DecodeError("anpr.xml: DOCTYPE/ENTITY declarations are not accepted")
    try:
        root = ET.fromstring(bytes(xml))
    except ET.ParseError as exc:
        raise DecodeError(f"anpr.xml: not well-formed XML ({exc})") from None
    _strip_namespaces(root)
    if root.tag != "EventNotificationAlert":
        raise DecodeError(f"anpr.xml: root element is <{root.tag}>, expected <EventNotificationAlert>")
    event_type = _text(root, "eventType")
    if event_type.upper() != "ANPR":
        raise DecodeError(f"anpr.xml eventType: {event_type!r}, expected 'ANPR'")
    if root.find("ANPR") is None:
        raise DecodeError("anpr.xml ANPR: missing; expected the <ANPR> element")
    plate = _text(root, "ANPR/licensePlate")
    if not plate:
        raise DecodeError("anpr.xml ANPR/licensePlate: missing or empty")
    stamp = _text(root, "dateTime")
    date_time = None
    if stamp:
        try:
            date_time = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise DecodeError(f"anpr.xml dateTime: {stamp[:40]!r} is not an ISO 8601 time") from None
    return HikAnprEvent(
        license=plate, confidence=_int(root, "ANPR/confidenceLevel", 0), direction=_text(root, "ANPR/direction"),
        plate_color=_text(root, "ANPR/plateColor"), vehicle_type=_text(root, "ANPR/vehicleType"),
        active_post_count=_int(root, "activePostCount", 1), channel=_int(root, "channelID", 1),
        ip_address=_text(root, "ipAddress"), mac_address=_text(root, "macAddress"), date_time=date_time)


def decode_anpr(body: bytes, content_type: str) -> HikAnprEvent:
    """Decode an ANPR push: multipart with ``anpr.xml`` and pictures, or the bare XML."""
    if not (content_type or "").lower().startswith("multipart/"):
        return decode_anpr_xml(body)
    parts = multipart.parse(body, content_type)
    xml = next((p for p in parts if p.name.lower().endswith(".xml") or "xml" in p.content_type.lower()), None)
    if xml is None:
        raise DecodeError("ANPR push: no anpr.xml part; parts were " + ", ".join(p.name for p in parts))
    event = decode_anpr_xml(xml.body)
    pictures = {p.name: p.body for p in parts if p is not xml}
    from dataclasses import replace
    return replace(event, plate_picture=pictures.get("licensePlatePicture.jpg"),
                   detection_picture=pictures.get("detectionPicture.jpg"))


def encode_anpr(event: HikAnprEvent) -> tuple[bytes, str]:
    """The camera side, for the simulator and tests: (multipart body, Content-Type)."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">'
        f"<ipAddress>{event.ip_address}</ipAddress><macAddress>{event.mac_address}</macAddress>"
        f"<channelID>{event.channel}</channelID>"
        + (f"<dateTime>{event.date_time.isoformat()}</dateTime>" if event.date_time else "")
        + f"<activePostCount>{event.active_post_count}</activePostCount><eventType>ANPR</eventType>"
        f"<eventState>active</eventState><ANPR><licensePlate>{escape(event.license)}</licensePlate>"
        f"<confidenceLevel>{event.confidence}</confidenceLevel><direction>{event.direction}</direction>"
        f"<plateColor>{event.plate_color}</plateColor><vehicleType>{event.vehicle_type}</vehicleType></ANPR>"
        "</EventNotificationAlert>"
    ).encode("utf-8")
    parts = [multipart.Part("anpr.xml", xml, "anpr.xml", "application/xml")]
    if event.plate_picture is not None:
        parts.append(multipart.Part("licensePlatePicture.jpg", event.plate_picture, "licensePlatePicture.jpg",
                                    "image/jpeg"))
    if event.detection_picture is not None:
        parts.append(multipart.Part("detectionPicture.jpg", event.detection_picture, "detectionPicture.jpg",
                                    "image/jpeg"))
    return multipart.build(parts)


def plate_read(e: HikAnprEvent, device: str) -> PlateRead:
    """The camera-neutral read of an ANPR alarm. An alarm has no id of its own: the plate and the
    camera's ``dateTime`` name it, so a re-sent alarm has the same ``event_id``."""
    stamp = e.date_time.isoformat() if e.date_time else ""
    return PlateRead(device=device, license=e.license if e.has_plate else "", color=e.plate_color or "unknown",
                     confidence=e.confidence, at=e.date_time, event_id=f"{e.license}@{stamp}",
                     image=e.detection_picture, plate_image=e.plate_picture)


def barrier_gate_body(mode: str = "open") -> bytes:
    """Body for ``PUT /ISAPI/Parking/channels/1/barrierGate``."""
    if mode not in GATE_MODES:
        raise ValueError(f"barrier gate mode {mode!r}: expected one of {', '.join(GATE_MODES)}")
    return f"<BarrierGate><ctrlMode>{mode}</ctrlMode></BarrierGate>".encode("ascii")
