from datetime import datetime, timedelta, timezone

import pytest

from drivers import multipart
from drivers.errors import DecodeError
from drivers.hikvision import HikAnprEvent, barrier_gate_body, decode_anpr, decode_anpr_xml, encode_anpr

XML = """<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress><macAddress>44:19:b6:00:00:01</macAddress><channelID>1</channelID>
<dateTime>2024-05-01T08:30:00+08:00</dateTime><activePostCount>2</activePostCount>
<eventType>ANPR</eventType><eventState>active</eventState>
<ANPR><country>3</country><licensePlate>粤B12345</licensePlate><confidenceLevel>98</confidenceLevel>
<plateType>92TypeCivil</plateType><plateColor>blue</plateColor><direction>forward</direction>
<vehicleType>vehicle</vehicleType></ANPR></EventNotificationAlert>""".encode("utf-8")


def test_decodes_the_anpr_xml():
    e = decode_anpr_xml(XML)
    assert e == HikAnprEvent(license="粤B12345", confidence=98, direction="forward", plate_color="blue",
                             vehicle_type="vehicle", active_post_count=2, channel=1, ip_address="192.168.1.64",
                             mac_address="44:19:b6:00:00:01",
                             date_time=datetime(2024, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=8))))


def test_multipart_push_carries_the_pictures():
    body, ctype = multipart.build([
        multipart.Part("anpr.xml", XML, "anpr.xml", "application/xml"),
        multipart.Part("licensePlatePicture.jpg", b"\xff\xd8plate", "licensePlatePicture.jpg", "image/jpeg"),
        multipart.Part("detectionPicture.jpg", b"\xff\xd8scene", "detectionPicture.jpg", "image/jpeg"),
    ], boundary="boundary123")
    e = decode_anpr(body, ctype)
    assert (e.license, e.plate_picture, e.detection_picture) == ("粤B12345", b"\xff\xd8plate", b"\xff\xd8scene")


def test_camera_side_encoder_round_trips():
    e = decode_anpr_xml(XML)
    from dataclasses import replace
    e = replace(e, plate_picture=b"p", detection_picture=b"d")
    assert decode_anpr(*encode_anpr(e)) == e


@pytest.mark.parametrize("xml, message", [
    (b"<EventNotificationAlert><eventType>VMD</eventType></EventNotificationAlert>",
     "eventType: 'VMD', expected 'ANPR'"),
    (b"<EventNotificationAlert><eventType>ANPR</eventType></EventNotificationAlert>", "ANPR: missing"),
    (b"<EventNotificationAlert><eventType>ANPR</eventType><ANPR/></EventNotificationAlert>",
     "ANPR/licensePlate: missing or empty"),
    (b"<Other/>", "root element is <Other>"),
    (b"<EventNotificationAlert>", "not well-formed XML"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><EventNotificationAlert/>', "DOCTYPE/ENTITY declarations are not accepted"),
])
def test_bad_xml_is_a_decode_error(xml, message):
    with pytest.raises(DecodeError, match=message.replace("(", r"\(").replace("/", "/")):
        decode_anpr_xml(xml)


def test_multipart_without_xml_names_the_parts():
    body, ctype = multipart.build([multipart.Part("picture.jpg", b"x", "picture.jpg", "image/jpeg")], "b1")
    with pytest.raises(DecodeError, match="no anpr.xml part; parts were picture.jpg"):
        decode_anpr(body, ctype)


def test_barrier_gate_open_body():
    assert barrier_gate_body() == b"<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>"
