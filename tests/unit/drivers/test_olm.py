from datetime import datetime

import pytest

from drivers import olm
from drivers.errors import DecodeError, EncodeError

SPEAK_WELCOME = bytes.fromhex("00 64 FF FF 30 09 01 BB B6 D3 AD B9 E2 C1 D9 32 58")
STOP_SPEAKING = bytes.fromhex("00 64 FF FF 31 00 64 67")


def test_crc16_modbus_matches_the_standard_check_value():
    assert olm.crc16_modbus(b"123456789") == 0x4B37


def test_speak_welcome_is_the_vendor_vector():
    assert olm.speak("欢迎光临") == SPEAK_WELCOME


def test_stop_speaking_is_the_vendor_vector():
    assert olm.stop_speaking() == STOP_SPEAKING


def test_text_outside_gb2312_names_the_character():
    with pytest.raises(EncodeError, match=r"'€' \(U\+20AC\) at position 2"):
        olm.speak("收费€5")


def test_gb2312_safe_replaces_what_the_board_cannot_show():
    assert olm.gb2312_safe("收费€5") == "收费?5"


def test_show_text_lays_out_the_0x62_fields():
    frame = olm.show_text(1, "粤B12345", color=olm.GREEN, seconds=5)
    assert frame[:6] == bytes.fromhex("00 64 FF FF 62 1B")
    #                   TWID ETM ETS GST DT RA1   FINDEX DRS TC(RGBA)    RA2         TL R3
    assert frame[6:25] == bytes.fromhex("01 00 01 00 05 00 00 00 00 00 FF 00 00 00 00 00 00 08 00")
    assert frame[24:-2] == bytes.fromhex("00 D4 C1 42 31 32 33 34 35")
    assert olm.decode_frame(frame).cmd == 0x62


def test_relay_open_gate_for_one_second():
    assert olm.open_gate() == olm.encode_frame(0x0F, bytes.fromhex("01 01 00 00 00 01"))
    assert olm.relay(olm.RELAY_LIGHT, 0)[6:12] == bytes.fromhex("00 00 00 00 00 00")


def test_set_clock_sends_little_endian_year_and_sunday_as_one():
    frame = olm.set_clock(datetime(2024, 3, 10, 14, 5, 9))   # a Sunday
    assert frame[4:-2] == bytes.fromhex("05 08 E8 07 03 0A 01 0E 05 09")


def test_brightness_and_volume_are_limited_to_10_to_100():
    assert olm.set_volume(80)[4:7] == bytes.fromhex("0D 01 50")
    with pytest.raises(EncodeError, match="brightness 5: expected an integer 10..100"):
        olm.set_brightness(5)


def test_long_data_uses_vr_c8_and_a_two_byte_length():
    frame = olm.encode_frame(0x6F, bytes(300))
    assert frame[:7] == bytes.fromhex("00 C8 FF FF 6F 2C 01")
    assert len(frame) == 7 + 300 + 2
    assert olm.decode_frame(frame).data == bytes(300)


def test_ack_frame_round_trip():
    frame = olm.encode_ack(0x30)
    decoded = olm.decode_frame(frame)
    assert (decoded.cmd, decoded.is_ack, decoded.ack_code) == (0x30, True, 0)


def test_decode_frame_names_the_crc_it_expected():
    with pytest.raises(DecodeError, match="OLM CRC is 00 00: expected 64 67"):
        olm.decode_frame(STOP_SPEAKING[:-2] + b"\x00\x00")


STREAM = SPEAK_WELCOME + STOP_SPEAKING + olm.encode_ack(0x62, address=3)
EXPECTED = [olm.OlmFrame(0x30, bytes.fromhex("01 BB B6 D3 AD B9 E2 C1 D9")), olm.OlmFrame(0x31, b""),
            olm.OlmFrame(0x62, b"\x00", address=3)]


def test_decoder_whole_stream():
    assert olm.FrameDecoder().feed(STREAM) == EXPECTED


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_decoder_split_anywhere(cut):
    d = olm.FrameDecoder()
    assert d.feed(STREAM[:cut]) + d.feed(STREAM[cut:]) == EXPECTED
    assert d.errors == type(d.errors)() and d.pending == b""


def test_decoder_byte_by_byte():
    d = olm.FrameDecoder()
    frames = [f for i in range(len(STREAM)) for f in d.feed(STREAM[i:i + 1])]
    assert frames == EXPECTED


def test_decoder_skips_leading_garbage_and_reports_it_once():
    seen = []
    d = olm.FrameDecoder(seen.append)
    assert d.feed(b"\x12\x34\x56" + STOP_SPEAKING) == [olm.OlmFrame(0x31, b"")]
    assert [str(e) for e in seen] == [
        "OLM stream: skipped 3 byte(s) [12 34 56]: first was byte 0x34 where VR (0x64 or 0xC8) was expected"]
    assert d.discarded == 3


def test_decoder_resynchronises_after_a_frame_with_a_wrong_crc():
    bad = STOP_SPEAKING[:-1] + b"\x00"
    d = olm.FrameDecoder()
    assert d.feed(bad + SPEAK_WELCOME) == [EXPECTED[0]]
    assert "CRC mismatch" in str(d.errors[0])


def test_decoder_does_not_wait_for_a_false_length_when_a_valid_frame_follows():
    # 0x64 then DL 0xFF: a false start that would need 263 bytes before its CRC could be checked
    d = olm.FrameDecoder()
    assert d.feed(b"\x00\x64\xff\xff\x30\xff" + STOP_SPEAKING) == [olm.OlmFrame(0x31, b"")]


def test_decoder_refuses_oversized_lengths():
    d = olm.FrameDecoder(max_data_length=64)
    assert d.feed(b"\x00\xc8\xff\xff\x30\xff\xff" + STOP_SPEAKING) == [olm.OlmFrame(0x31, b"")]
    assert "DL 65535 above the limit of 64" in str(d.errors[0])
