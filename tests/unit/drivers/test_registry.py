import pytest

from drivers.errors import UnsupportedURLError
from drivers.modbus_gate import ModbusRelayGate
from drivers.olm_board import OlmBoard
from drivers.registry import Registry, parse_device_url
from drivers.vz.push_camera import VzPushCamera
from drivers.vz.tcp_camera import VzTcpCamera


def test_parse_keeps_host_port_path_and_options():
    u = parse_device_url("modbus-rtu:///dev/ttyUSB0?baudrate=9600&unit=1&coil=0")
    assert (u.scheme, u.host, u.port, u.path, u.options) == (
        "modbus-rtu", "", None, "/dev/ttyUSB0", {"baudrate": "9600", "unit": "1", "coil": "0"})


def test_vz_http_cameras_on_one_port_share_a_hub():
    reg = Registry()
    a = reg.open("vz-http://0.0.0.0:8090?serial=SN123")
    b = reg.open("vz-http://0.0.0.0:8090?serial=SN456&gate_io=1")
    assert isinstance(a, VzPushCamera) and (a.serialno, b.serialno, b.gate_io) == ("SN123", "SN456", 1)
    assert list(reg.hubs) == [("0.0.0.0", 8090)]
    assert set(reg.hubs[("0.0.0.0", 8090)].cameras) == {"SN123", "SN456"}


def test_vz_tcp_defaults_to_port_8131():
    cam = Registry().open("vz-tcp://10.0.0.5")
    assert isinstance(cam, VzTcpCamera) and (cam.transport.host, cam.transport.port) == ("10.0.0.5", 8131)


def test_modbus_urls_configure_the_contacts():
    g = Registry().open("modbus-tcp://10.0.0.7?unit=3&coil=2&close_coil=none&pulse_ms=300")
    assert isinstance(g, ModbusRelayGate)
    assert (g.name, g.unit, g.open_coil, g.close_coil, g.pulse_seconds) == ("modbus-tcp 10.0.0.7:502", 3, 2, None, 0.3)
    g = Registry().open("modbus-rtu:///dev/ttyUSB0?baudrate=9600&unit=1&coil=0")
    assert (g.name, g.unit, g.open_coil) == ("modbus-rtu /dev/ttyUSB0", 1, 0)


def test_olm_over_serial_path_pyserial_url_and_tcp():
    reg = Registry()
    assert reg.open("olm:///dev/ttyUSB1?baudrate=9600").transport.url == "/dev/ttyUSB1"
    assert reg.open("olm://?serial=loop://").transport.url == "loop://"
    board = reg.open("olm+tcp://10.0.0.8:4001?address=2&ack=0")
    assert isinstance(board, OlmBoard) and (board.address, board.require_ack) == (2, False)


@pytest.mark.parametrize("url, message", [
    ("ftp://x", "scheme 'ftp' is not supported; expected one of modbus-rtu, modbus-tcp, olm, olm+tcp, vz-http, vz-tcp"),
    ("vz-http://0.0.0.0:8090", "vz-http URL needs serial=<camera serial number>"),
    ("modbus-tcp://h?unti=1", "option 'unti' is not known; allowed: "),
    ("modbus-tcp://h?unit=one", "option unit='one': expected a number"),
    ("olm://", "needs a serial device path"),
    ("olm+tcp://h", "olm+tcp URL needs a port"),
    ("vz-tcp://h:99999", "the port is not a number"),
])
def test_bad_urls_say_what_is_wrong(url, message):
    with pytest.raises(UnsupportedURLError, match=message.replace("+", r"\+").replace("(", r"\(")):
        Registry().open(url)
