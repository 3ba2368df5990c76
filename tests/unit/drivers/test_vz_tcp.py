from datetime import datetime, timezone

import pytest

from drivers.errors import DecodeError
from drivers.vz import tcp
from drivers.vz.push import VzPlateResult

GETSN = bytes.fromhex("56 5A 00 00 00 00 00 10") + b'{"cmd":"getsn"}\x00'
HEARTBEAT = bytes.fromhex("56 5A 01 00 00 00 00 00")


def test_getsn_is_the_documented_packet():
    assert tcp.encode_json(tcp.cmd_getsn()) == GETSN


def test_heartbeat_is_an_empty_type_1_packet():
    assert tcp.heartbeat() == HEARTBEAT


def test_ioctl_pulse_body():
    assert tcp.encode_json(tcp.cmd_ioctl(0, 2, 500))[8:] == b'{"cmd":"ioctl","io":0,"value":2,"delay":500}\x00'


def test_ttransmission_send_carries_base64_and_length():
    doc = tcp.cmd_ttransmission("send", bytes.fromhex("00 64 FF FF 31 00 64 67"))
    assert doc == {"cmd": "ttransmission", "subcmd": "send", "comm": "rs485-1", "data": "AGT//zEAZGc=",
                   "datalen": 8}
    assert tcp.ttransmission_data(doc) == bytes.fromhex("00 64 FF FF 31 00 64 67")


STREAM = GETSN + HEARTBEAT + tcp.encode_packet(tcp.TYPE_BINARY, b"\x01\x02", sn=7)
EXPECTED = [tcp.VzPacket(0, b'{"cmd":"getsn"}\x00'), tcp.VzPacket(1), tcp.VzPacket(2, b"\x01\x02", 7)]


def test_decoder_whole():
    assert tcp.PacketDecoder().feed(STREAM) == EXPECTED


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_decoder_split(cut):
    d = tcp.PacketDecoder()
    assert d.feed(STREAM[:cut]) + d.feed(STREAM[cut:]) == EXPECTED
    assert not d.errors


def test_decoder_byte_by_byte():
    d = tcp.PacketDecoder()
    assert [p for b in STREAM for p in d.feed(bytes([b]))] == EXPECTED


def test_decoder_skips_garbage_and_bad_headers():
    d = tcp.PacketDecoder(max_body=1000)
    junk = b"xxV" + bytes.fromhex("56 5A 09 00 00 00 00 00") + bytes.fromhex("56 5A 00 00 7F FF FF FF")
    assert d.feed(junk + HEARTBEAT) == [tcp.VzPacket(1)]
    assert [str(e) for e in d.errors] == [
        "VZ TCP stream: skipped 19 byte(s) [78 78 56 56 5A 09 00 00 00 00 00 56 5A 00 00 7F …]: "
        "first was bytes before a 'VZ' header"]
    assert d.discarded == 19


def test_result_with_appended_image_round_trips():
    r = VzPlateResult(serialno="SN7", channel=0, device_name="IVS", ipaddr="127.0.0.1", license="沪AD12345",
                      color_type=5, plate_type=19, confidence=93, plateid=12,
                      timestamp=datetime(2024, 2, 3, 4, 5, 6, tzinfo=timezone.utc), image=b"\xff\xd8\x00\n\x00img")
    packet = tcp.PacketDecoder().feed(tcp.encode_result(r))[0]
    assert b'"license":"\xbb\xa6AD12345"' in packet.body          # GB2312 on the wire
    assert tcp.is_result(packet.json())
    assert tcp.decode_result(packet) == r


def test_non_json_body_is_a_decode_error():
    with pytest.raises(DecodeError, match="VZ TCP JSON body: not valid JSON"):
        tcp.VzPacket(0, b"{oops").json()
