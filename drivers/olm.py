"""OLM LED / voice control board over RS485: frame codec, stream decoder and command builders. Pure.

Frame (all multi-byte fields little-endian)::

    VR = 0x64, one-byte DL:
    ┌────┬────┬────────────┬─────┬────┬───────────┬───────────┐
    │ DA │ 64 │ PN (FF FF) │ CMD │ DL │ DATA (DL) │ CRC lo hi │
    └────┴────┴────────────┴─────┴────┴───────────┴───────────┘
    VR = 0xC8, two-byte DL (DATA of 256 bytes or more):
    │ DA │ C8 │ PN (FF FF) │ CMD │ DL lo hi │ DATA (DL) │ CRC lo hi │

    DA   board address (0x00 common)        PN  packet number, 0xFFFF = single packet
    CRC  CRC-16/MODBUS over DA..DATA (init 0xFFFF, reflected poly 0xA001), low byte first

    speak "欢迎光临":  00 64 FF FF 30 09 | 01 BB B6 D3 AD B9 E2 C1 D9 | 32 58
    stop speaking:     00 64 FF FF 31 00 | 64 67

The board answers each command with the same CMD, DL = 1 and DATA = ACK (0 = ok).
The byte order of the two-byte DL is not documented by the vendor; this library reads and writes it
little-endian, like the CRC and the clock's year.

Builders (``speak``, ``show_text``, ``relay``, ``set_clock``...) return whole frames ready for the wire;
:class:`FrameDecoder` turns a byte stream back into :class:`OlmFrame` values and resynchronises on garbage.
The device class that sends frames and waits for ACKs lives in :mod:`drivers.olm_board`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from drivers.resync import SkippingDecoder
from drivers.errors import DecodeError, EncodeError

VR_SHORT = 0x64
VR_LONG = 0xC8
SINGLE_PACKET = 0xFFFF

CMD_SET_CLOCK = 0x05
CMD_BRIGHTNESS = 0x0C
CMD_VOLUME = 0x0D
CMD_RELAY = 0x0F
CMD_SPEAK = 0x30
CMD_STOP_SPEAKING = 0x31
CMD_SHOW_TEXT = 0x62
CMD_MULTI_LINE = 0x6F
CMD_FREE_SPACES = 0xE3

ACK_OK = 0

RELAY_LIGHT = 0
RELAY_OPEN_GATE = 1
RELAY_CLOSE_GATE = 2
RELAY_LATCH = 255

SPEAK_QUEUE = 0
SPEAK_QUEUE_AND_PLAY = 1
SPEAK_CLEAR_AND_PLAY = 2

RED = (255, 0, 0, 0)
GREEN = (0, 255, 0, 0)
YELLOW = (255, 255, 0, 0)

MAX_DATA_LENGTH = 0xFFFF


def crc16_modbus(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/MODBUS: init 0xFFFF, reflected polynomial 0xA001, no final xor."""
    crc = 0xFFFF
    for byte in bytes(data):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True)
class OlmFrame:
    """One decoded frame; ``data`` is the DATA field without DL or CRC."""

    cmd: int
    data: bytes = b""
    address: int = 0
    packet: int = SINGLE_PACKET

    @property
    def is_ack(self) -> bool:
        """True for a board reply: one DATA byte holding the ACK code."""
        return len(self.data) == 1

    @property
    def ack_code(self) -> int | None:
        return self.data[0] if len(self.data) == 1 else None

    def encode(self) -> bytes:
        return encode_frame(self.cmd, self.data, self.address, packet=self.packet)


def encode_frame(cmd: int, data: bytes, address: int = 0, *, packet: int = SINGLE_PACKET) -> bytes:
    """Build a whole frame: VR 0x64 when DATA is shorter than 256 bytes, else 0xC8 with a two-byte DL."""
    _check_byte("address", address)
    _check_byte("cmd", cmd)
    if not 0 <= packet <= 0xFFFF:
        raise EncodeError(f"packet number {packet}: expected 0..65535")
    data = bytes(data)
    if len(data) > MAX_DATA_LENGTH:
        raise EncodeError(f"DATA of {len(data)} bytes: at most {MAX_DATA_LENGTH} fit in one frame")
    head = bytes([address]) + bytes([VR_SHORT if len(data) < 256 else VR_LONG]) + packet.to_bytes(2, "little")
    head += bytes([cmd])
    head += bytes([len(data)]) if len(data) < 256 else len(data).to_bytes(2, "little")
    body = head + data
    return body + crc16_modbus(body).to_bytes(2, "little")


def encode_ack(cmd: int, code: int = ACK_OK, address: int = 0) -> bytes:
    """The board side: the reply to ``cmd`` (DL = 1, DATA = ACK code)."""
    _check_byte("ack code", code)
    return encode_frame(cmd, bytes([code]), address)


def decode_frame(frame: bytes) -> OlmFrame:
    """Decode exactly one whole frame; raise ``DecodeError`` naming the byte at fault."""
    frame = bytes(frame)
    if len(frame) < 8:
        raise DecodeError(f"OLM frame of {len(frame)} bytes: expected at least 8 (DA VR PN PN CMD DL CRC CRC)")
    vr = frame[1]
    if vr not in (VR_SHORT, VR_LONG):
        raise DecodeError(f"OLM byte 1 (VR) is 0x{vr:02X}: expected 0x64 or 0xC8")
    header = 6 if vr == VR_SHORT else 7
    if len(frame) < header + 2:
        raise DecodeError(f"OLM frame of {len(frame)} bytes: too short for VR 0x{vr:02X}")
    dl = frame[5] if vr == VR_SHORT else int.from_bytes(frame[5:7], "little")
    if len(frame) != header + dl + 2:
        raise DecodeError(f"OLM DL says {dl} data bytes, so the frame should be {header + dl + 2} bytes, "
                          f"got {len(frame)}")
    crc = crc16_modbus(frame[:-2])
    got = int.from_bytes(frame[-2:], "little")
    if crc != got:
        raise DecodeError(f"OLM CRC is {frame[-2]:02X} {frame[-1]:02X}: expected {crc & 0xFF:02X} {crc >> 8:02X}")
    return OlmFrame(cmd=frame[4], data=frame[header:-2], address=frame[0],
                    packet=int.from_bytes(frame[2:4], "little"))


class FrameDecoder(SkippingDecoder):
    """Stream decoder: ``feed`` bytes as they arrive, get whole frames back in order.

    Bytes that cannot start a frame, and candidate frames whose CRC is wrong, are skipped one byte at a
    time until a valid frame lines up again. Each run of skipped bytes is reported once, as a
    ``DecodeError`` passed to ``on_error`` and kept in ``errors`` (the last 100); ``discarded`` counts
    skipped bytes. ``max_data_length`` bounds how long a claimed DL may make the decoder wait.
    """

    stream = "OLM stream"

    def __init__(self, on_error: Callable[[DecodeError], None] | None = None, *,
                 max_data_length: int = 2048) -> None:
        super().__init__(on_error)
        self.max_data_length = max_data_length

    def feed(self, data: bytes) -> list[OlmFrame]:
        self._buf += data
        frames: list[OlmFrame] = []
        while True:
            status, length = self._candidate(0)
            if status == "frame":
                self._report()
                frames.append(decode_frame(self._buf[:length]))
                del self._buf[:length]
            elif status == "short":
                later = self._later_valid_start()
                if later is None:
                    break
                self._skip(later, "bytes before a later valid frame")
            else:
                self._skip(1, status)
        if len(self._garbage) >= 256:
            self._report()
        return frames

    @property
    def pending(self) -> bytes:
        """Bytes held back waiting for the rest of a frame."""
        return bytes(self._buf)

    def _candidate(self, i: int) -> tuple[str, int]:
        buf = self._buf
        if len(buf) - i < 2:
            return "short", 0
        vr = buf[i + 1]
        if vr not in (VR_SHORT, VR_LONG):
            return f"byte 0x{buf[i + 1]:02X} where VR (0x64 or 0xC8) was expected", 0
        header = 6 if vr == VR_SHORT else 7
        if len(buf) - i < header:
            return "short", 0
        dl = buf[i + 5] if vr == VR_SHORT else int.from_bytes(buf[i + 5:i + 7], "little")
        if dl > self.max_data_length:
            return f"DL {dl} above the limit of {self.max_data_length}", 0
        total = header + dl + 2
        if len(buf) - i < total:
            return "short", total
        end = i + total
        if crc16_modbus(buf[i:end - 2]) != int.from_bytes(buf[end - 2:end], "little"):
            return "CRC mismatch", 0
        return "frame", total

    def _later_valid_start(self) -> int | None:
        for j in range(1, len(self._buf) - 7):
            if self._candidate(j)[0] == "frame":
                return j
        return None


# --------------------------------------------------------------------------------------------- text

def gb2312(text: str) -> bytes:
    """Encode ``text`` as GB2312, or raise ``EncodeError`` naming the first character that has no code."""
    try:
        return text.encode("gb2312")
    except UnicodeEncodeError as exc:
        ch = text[exc.start]
        raise EncodeError(f"character {ch!r} (U+{ord(ch):04X}) at position {exc.start} of {text!r} has no GB2312 "
                          f"code; the board cannot show or speak it — replace it first (see gb2312_safe)") from None


def gb2312_safe(text: str, replacement: str = "?") -> str:
    """``text`` with every character outside GB2312 replaced, for callers that prefer showing something."""
    return "".join(ch if _in_gb2312(ch) else replacement for ch in text)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _check_byte(name: str, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= 255:
        raise EncodeError(f"{name} {value!r}: expected an integer 0..255")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise EncodeError(f"{name} {value!r}: expected an integer {low}..{high}")


# ------------------------------------------------------------------------------------------ commands

def speak(text: str, option: int = SPEAK_QUEUE_AND_PLAY, address: int = 0) -> bytes:
    """0x30: OPT (0 queue, 1 queue and play, 2 clear and play) + GB2312 text; separate phrases with commas."""
    _check_range("speak option", option, 0, 2)
    return encode_frame(CMD_SPEAK, bytes([option]) + gb2312(text), address)


def stop_speaking(address: int = 0) -> bytes:
    """0x31, no DATA."""
    return encode_frame(CMD_STOP_SPEAKING, b"", address)


def show_text(line: int, text: str, *, color: tuple[int, int, int, int] = RED, seconds: int = 10,
              address: int = 0, effect: int = 0, speed: int = 1, font: int = 0) -> bytes:
    """0x62: show ``text`` on window ``line`` for ``seconds`` (0 = until replaced).

    DATA as sent::

        TWID ETM ETS GST DT  RA1(2) FINDEX DRS TC(4: R G B A) RA2(4)      TL  R3 TEXT
        line eff spd 00  sec 00 00  font   00  color          00 00 00 00 len 00 GB2312
    """
    _check_byte("line", line)
    _check_byte("seconds", seconds)
    _check_byte("effect", effect)
    _check_byte("speed", speed)
    _check_byte("font", font)
    if len(color) != 4:
        raise EncodeError(f"color {color!r}: expected an (R, G, B, A) tuple")
    for part in color:
        _check_byte("color component", part)
    encoded = gb2312(text)
    if len(encoded) > 255:
        raise EncodeError(f"text of {len(encoded)} GB2312 bytes: one line holds at most 255")
    data = bytes([line, effect, speed, 0, seconds, 0, 0, font, 0, *color, 0, 0, 0, 0, len(encoded), 0]) + encoded
    return encode_frame(CMD_SHOW_TEXT, data, address)


def relay(channel: int, on_seconds: int, address: int = 0) -> bytes:
    """0x0F: CH OF 00 00 00 OT. CH 0 light, 1 open gate, 2 close gate; OT seconds, 0 off, 255 latch."""
    _check_range("relay channel", channel, 0, 2)
    _check_byte("on_seconds", on_seconds)
    return encode_frame(CMD_RELAY, bytes([channel, 1 if on_seconds else 0, 0, 0, 0, on_seconds]), address)


def open_gate(address: int = 0, seconds: int = 1) -> bytes:
    return relay(RELAY_OPEN_GATE, seconds, address)


def close_gate(address: int = 0, seconds: int = 1) -> bytes:
    return relay(RELAY_CLOSE_GATE, seconds, address)


def set_clock(dt: datetime, address: int = 0) -> bytes:
    """0x05: year(2, LE) month day weekday(1 = Sunday) hour minute second, in the board's local time."""
    weekday = dt.isoweekday() % 7 + 1
    data = dt.year.to_bytes(2, "little") + bytes([dt.month, dt.day, weekday, dt.hour, dt.minute, dt.second])
    return encode_frame(CMD_SET_CLOCK, data, address)


def set_brightness(level: int, address: int = 0) -> bytes:
    """0x0C: brightness 10..100."""
    _check_range("brightness", level, 10, 100)
    return encode_frame(CMD_BRIGHTNESS, bytes([level]), address)


def set_volume(level: int, address: int = 0) -> bytes:
    """0x0D: volume 10..100."""
    _check_range("volume", level, 10, 100)
    return encode_frame(CMD_VOLUME, bytes([level]), address)


def show_free_spaces(count: int, address: int = 0) -> bytes:
    """0xE3: switch to the free-spaces screen showing ``count``.

    The vendor table leaves this DATA undocumented; this library sends the count as two bytes
    little-endian, which the simulated board reads back the same way.
    """
    _check_range("free spaces", count, 0, 0xFFFF)
    return encode_frame(CMD_FREE_SPACES, count.to_bytes(2, "little"), address)

