import base64
import json
from datetime import datetime, timezone

import pytest

from drivers.errors import DecodeError
from drivers.vz.push import (VzPlateResult, VzResponse, decode_plate_result, decode_response,
                             encode_plate_result, encode_response)

CAMERA_BODY = (
    '{"AlarmInfoPlate":{"channel":0,"deviceName":"IVS","ipaddr":"192.168.1.100","serialno":"fe71e106-57263272",'
    '"result":{"PlateResult":{"license":"粤B12345","colorType":1,"type":1,"confidence":96,"direction":0,'
    '"triggerType":1,"plateid":21085,"isoffline":0,"is_fake_plate":0,'
    '"location":{"RECT":{"left":1002,"top":565,"right":1263,"bottom":674}},'
    '"timeStamp":{"Timeval":{"sec":1686299994,"usec":687772}},'
    '"imageFile":"/9j/4AAQ","imageFragmentFile":"iVBORw0K"}}}}'
).encode("utf-8")


def test_decodes_the_documented_camera_body():
    r = decode_plate_result(CAMERA_BODY)
    assert r == VzPlateResult(
        serialno="fe71e106-57263272", channel=0, device_name="IVS", ipaddr="192.168.1.100", license="粤B12345",
        color_type=1, plate_type=1, confidence=96, direction=0, trigger_type=1, plateid=21085,
        is_offline=False, is_fake=False,
        timestamp=datetime(2023, 6, 9, 8, 39, 54, 687772, tzinfo=timezone.utc),
        image=b"\xff\xd8\xff\xe0\x00\x10", plate_image=b"\x89PNG\r\n")


def test_no_plate_marker_is_kept_raw_and_reported_as_no_plate():
    body = CAMERA_BODY.replace("粤B12345".encode(), "_无_".encode())
    r = decode_plate_result(body)
    assert r.license == "_无_"
    assert r.has_plate is False


def test_offline_record_and_numbers_sent_as_strings_are_accepted():
    doc = json.loads(CAMERA_BODY)
    plate = doc["AlarmInfoPlate"]["result"]["PlateResult"]
    plate.update(isoffline=1, plateid="77", confidence="90")
    del plate["imageFile"], plate["imageFragmentFile"], plate["timeStamp"]
    r = decode_plate_result(json.dumps(doc).encode())
    assert (r.is_offline, r.plateid, r.confidence, r.image, r.timestamp) == (True, 77, 90, None, None)


def test_gbk_body_from_old_firmware_is_accepted():
    r = decode_plate_result(CAMERA_BODY.decode("utf-8").encode("gbk"))
    assert r.license == "粤B12345"


@pytest.mark.parametrize("body, field", [
    (b"{not json", "not valid JSON"),
    (b"[]", "AlarmInfoPlate: missing"),
    (b'{"AlarmInfoPlate":{"result":{"PlateResult":{"license":"A"}}}}', "AlarmInfoPlate.serialno: missing"),
    (b'{"AlarmInfoPlate":{"serialno":"S","result":{}}}', "AlarmInfoPlate.result.PlateResult: missing"),
    (b'{"AlarmInfoPlate":{"serialno":"S","result":{"PlateResult":{}}}}', "PlateResult.license: missing"),
    (b'{"AlarmInfoPlate":{"serialno":"S","result":{"PlateResult":{"license":5}}}}',
     "PlateResult.license: expected a string, got int"),
    (b'{"AlarmInfoPlate":{"serialno":"S","result":{"PlateResult":{"license":"A","plateid":"x"}}}}',
     "PlateResult.plateid: expected an integer"),
    (b'{"AlarmInfoPlate":{"serialno":"S","result":{"PlateResult":{"license":"A","imageFile":"@@@"}}}}',
     "PlateResult.imageFile: not valid base64"),
    (b'{"AlarmInfoPlate":{"serialno":"S","result":{"PlateResult":{"license":"A",'
     b'"timeStamp":{"Timeval":{"sec":99999999999999}}}}}}', "Timeval.sec: 99999999999999 is not a representable"),
])
def test_bad_bodies_raise_decode_error_naming_the_field(body, field):
    with pytest.raises(DecodeError, match=field.replace(".", r"\.").replace("(", r"\(")):
        decode_plate_result(body)


def test_plate_result_round_trips_through_the_camera_encoder():
    r = VzPlateResult(serialno="SN1", channel=1, device_name="IVS", ipaddr="10.0.0.5", license="京AD12345",
                      color_type=5, plate_type=19, confidence=91, direction=1, trigger_type=8, plateid=9,
                      is_offline=True, is_fake=False,
                      timestamp=datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
                      image=b"\xff\xd8jpeg", plate_image=b"crop")
    assert decode_plate_result(encode_plate_result(r)) == r


def test_response_that_opens_the_gate_and_drives_the_led_board_is_exact_json():
    body = encode_response(VzResponse(open_gate=True, serial_data=[b"\x00\x64\xff\xff\x31\x00\x64\x67"],
                                      ioctrl=(0, 2, 500), continue_offline_plateid=21085, manual_trigger=True))
    assert body == (b'{"Response_AlarmInfoPlate":{"info":"ok","ivs_ioctrl":{"io":0,"value":2,"delay":500},'
                    b'"serialData":[{"serialChannel":0,"data":"AGT//zEAZGc=","dataLen":8}],'
                    b'"ContinuePushOffline":{"plateid":21085,"continue":1},"manualTrigger":"ok"}}')


def test_response_without_open_says_no():
    assert encode_response(VzResponse()) == b'{"Response_AlarmInfoPlate":{"info":"no"}}'


def test_response_round_trips_on_the_camera_side():
    resp = VzResponse(open_gate=True, serial_data=[b"\x01\x02", b"\x03"], ioctrl=(1, 1, 0),
                      continue_offline_plateid=4, manual_trigger=False)
    assert decode_response(encode_response(resp)) == resp


def test_empty_answer_is_no_command():
    assert decode_response(b"") == VzResponse()


def test_serial_data_length_mismatch_is_reported():
    body = b'{"Response_AlarmInfoPlate":{"serialData":[{"serialChannel":0,"data":"AAE=","dataLen":3}]}}'
    with pytest.raises(DecodeError, match=r"serialData\[0\]\.dataLen: says 3, but data decodes to 2 bytes"):
        decode_response(body)


def test_ioctrl_outside_the_camera_range_is_refused():
    with pytest.raises(ValueError, match="io 0..3"):
        encode_response(VzResponse(ioctrl=(4, 2, 500)))


def test_base64_spread_over_lines_is_accepted():
    doc = json.loads(CAMERA_BODY)
    doc["AlarmInfoPlate"]["result"]["PlateResult"]["imageFile"] = base64.encodebytes(b"x" * 100).decode()
    assert decode_plate_result(json.dumps(doc).encode()).image == b"x" * 100
