import pytest

from drivers.errors import UnsupportedURLError
from drivers.hikvision_camera import HikvisionCamera, HikvisionPushHub
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
    ("ftp://x", ("scheme 'ftp' is not supported; expected one of hik-http, modbus-rtu, modbus-tcp, olm, olm+tcp, "
                 "vz-http, vz-tcp")),
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


HIK = "hik-http://admin:p%40ss@192.168.1.64?listen=0.0.0.0:8091&id=44-19-B6-00-00-01"


def test_hik_http_cameras_on_one_listen_address_share_a_hub():
    reg = Registry()
    a = reg.open(HIK)
    b = reg.open("hik-http://admin:pw@192.168.1.65:8080?listen=0.0.0.0:8091&id=44:19:b6:00:00:02&channel=2"
                 "&scheme=https&timeout=0.5")
    assert isinstance(a, HikvisionCamera) and a.username == "admin"
    assert (a.base_url, a.channel, a.timeout, a.device_id) == ("http://192.168.1.64:80", 1, 2.0, "44:19:b6:00:00:01")
    assert (b.base_url, b.channel, b.timeout) == ("https://192.168.1.65:8080", 2, 0.5)
    hub = reg.hubs[("hik-http", "0.0.0.0", 8091)]
    assert isinstance(hub, HikvisionPushHub) and (hub.path, hub.identify_by) == ("/ISAPI/anpr", "mac")
    assert set(hub.cameras) == {"44:19:b6:00:00:01", "44:19:b6:00:00:02"}
    assert reg.open(HIK) is a
    assert reg.open("hik-http://admin:p%40ss@192.168.1.64?listen=0.0.0.0:8091&id=4419B6000001") is a


def test_hik_http_identifier_defaults_follow_by():
    reg = Registry()
    by_ip = reg.open("hik-http://admin:pw@192.168.1.64?listen=[::]:8092&by=ip&path=/alarm")
    by_channel = reg.open("hik-http://admin:pw@192.168.1.80?listen=0.0.0.0:8093&by=channel&channel=3")
    assert by_ip.device_id == "192.168.1.64" and by_channel.device_id == "3"
    hub = reg.hubs[("hik-http", "::", 8092)]
    assert (hub.path, hub.identify_by, list(hub.routes())) == ("/alarm", "ip", ["/alarm"])


def test_hik_http_and_vz_http_hubs_on_one_address_are_kept_apart():
    reg = Registry()
    reg.open("vz-http://0.0.0.0:8091?serial=SN1")
    reg.open(HIK)
    assert set(reg.hubs) == {("0.0.0.0", 8091), ("hik-http", "0.0.0.0", 8091)}


H = "hik-http://admin:pw@h?listen=0.0.0.0:8091&id=4419b6000009"


@pytest.mark.parametrize("url, message", [
    (H + "&colour=1", "option 'colour' is not known; allowed: allow, by, channel, id, listen, path, scheme, timeout"),
    ("hik-http://admin:pw@h?id=m", "option listen='': expected HOST:PORT"),
    ("hik-http://admin:pw@h?listen=8091&id=m", "option listen='8091': expected HOST:PORT"),
    ("hik-http://admin:pw@h?listen=0.0.0.0:99999&id=m", "option listen='0.0.0.0:99999'"),
    ("hik-http://h?listen=0.0.0.0:8091&id=4419b6000009", "needs the camera's user and password"),
    ("hik-http://admin:pw@?listen=0.0.0.0:8091&id=4419b6000009", "hik-http URL needs a host"),
    ("hik-http://admin:pw@h?listen=0.0.0.0:8091", "needs id=<the camera's MAC address>"),
    ("hik-http://admin:pw@h?listen=0.0.0.0:8091&id=192.168.1.64", "option id='192.168.1.64': expected a MAC address"),
    (H + "&by=serial", "option by='serial': expected one of mac, ip, channel"),
    (H + "&scheme=ftp", "option scheme='ftp': expected http or https"),
    (H + "&channel=0", "channels count from 1"),
    (H + "&channel=x", "option channel='x': expected a number"),
    (H + "&path=anpr", "option path='anpr': expected an absolute path"),
])
def test_bad_hik_http_urls_say_what_is_wrong(url, message):
    with pytest.raises(UnsupportedURLError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Registry().open(url)


def test_hik_http_cameras_on_one_hub_must_agree_and_ids_must_not_clash():
    reg = Registry()
    reg.open(HIK)
    with pytest.raises(UnsupportedURLError, match="already takes path=/ISAPI/anpr by=mac"):
        reg.open("hik-http://admin:pw@192.168.1.70?listen=0.0.0.0:8091&by=ip")
    with pytest.raises(UnsupportedURLError, match="id=44:19:b6:00:00:01 is already http://192.168.1.64:80"):
        reg.open("hik-http://admin:pw@192.168.1.99?listen=0.0.0.0:8091&id=44:19:b6:00:00:01")


def test_hik_http_errors_never_quote_the_password():
    with pytest.raises(UnsupportedURLError) as caught:
        Registry().open("hik-http://admin:s3cret@h:99999?listen=0.0.0.0:8091&id=4419b6000009")
    assert "port is not a number" in str(caught.value) and "s3cret" not in str(caught.value)
