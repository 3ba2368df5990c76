"""The Modbus relay gate against pymodbus as the peer (RTU over a pty pair, and TCP), and on the raw wire."""

import os
import select
import threading
import tty

import pytest

from drivers.errors import DeviceTimeoutError
from drivers.modbus_gate import ModbusRelayGate
from simulators.gate import GateSimulator
from simulators.modbus_relay import ModbusRelaySimulator
from simulators.ptylink import PtyLink

RELAY_ON = bytes.fromhex("01 05 00 00 FF 00 8C 3A")
RELAY_OFF = bytes.fromhex("01 05 00 00 00 00 CD CA")
READ_8_INPUTS = bytes.fromhex("01 02 00 00 00 08 79 CC")


class RawModule:
    """Plays the relay module on the master side of a pty, recording the exact request bytes."""

    def __init__(self, answers):
        self.master, slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.requests = []
        self.answers = answers
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        buf = b""
        while len(self.requests) < len(self.answers):
            ready, _, _ = select.select([self.master], [], [], 5)
            if not ready:
                return
            buf += os.read(self.master, 256)
            if len(buf) >= 8:
                self.requests.append(buf[:8])
                os.write(self.master, self.answers[len(self.requests) - 1])
                buf = buf[8:]

    def close(self):
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self._slave)


def test_pulse_puts_the_documented_rtu_frames_on_the_wire():
    module = RawModule([RELAY_ON, RELAY_OFF])   # a write-coil answer echoes the request
    waits = []
    gate = ModbusRelayGate.rtu(module.path, sleep=waits.append, pulse_seconds=0.5)
    gate.open()
    gate.shutdown()
    module.close()
    assert module.requests == [RELAY_ON, RELAY_OFF]
    assert waits == [0.5]


def test_reading_the_inputs_puts_the_documented_frame_on_the_wire():
    answer = bytes.fromhex("01 02 01 05")            # inputs 0 and 2 on
    from drivers.olm import crc16_modbus
    answer += crc16_modbus(answer).to_bytes(2, "little")
    module = RawModule([answer])
    gate = ModbusRelayGate.rtu(module.path)
    assert gate.read_inputs() == [True, False, True, False, False, False, False, False]
    gate.shutdown()
    module.close()
    assert module.requests == [READ_8_INPUTS]


@pytest.fixture(params=["rtu", "tcp"])
def wired(request):
    """A gate simulator behind a pymodbus relay module, and the driver talking to it."""
    gate_sim = GateSimulator(travel_seconds=1.0)
    clock = {"now": 0.0}
    contacts = {0: gate_sim.press_open, 1: gate_sim.press_close, 2: gate_sim.press_stop}

    def on_coil(coil, on):
        if on and coil in contacts:
            contacts[coil](clock["now"])

    sim = ModbusRelaySimulator(on_coil=on_coil, inputs=lambda: [gate_sim.loop_occupied, gate_sim.arm_up])
    link = None
    if request.param == "rtu":
        link = PtyLink()
        sim.start_rtu(link.a)
        driver = ModbusRelayGate.rtu(link.b, sleep=lambda s: None)
    else:
        host, port = sim.start_tcp()
        driver = ModbusRelayGate.tcp(host, port, sleep=lambda s: None)
    yield driver, sim, gate_sim, clock
    driver.shutdown()
    sim.shutdown()
    if link:
        link.close()


def test_open_pulses_the_open_contact_with_a_confirmed_off(wired):
    driver, sim, gate_sim, clock = wired
    driver.open()
    assert sim.writes == [(0, True), (0, False)]
    assert gate_sim.state == "opening"


def test_loop_and_arm_inputs_are_read_from_the_module(wired):
    driver, sim, gate_sim, clock = wired
    driver.open()
    gate_sim.advance(1.0)
    gate_sim.set_loop(True, 1.0)
    assert (driver.loop_occupied(), driver.arm_up()) == (True, True)


def test_refused_off_is_retried_until_acknowledged(wired):
    driver, sim, gate_sim, clock = wired
    sim.refuse_next_offs = 2
    driver.close()
    assert sim.writes == [(1, True), (1, None), (1, None), (1, False)]
    assert sim.coils[1] is False


def test_off_never_acknowledged_reports_a_possibly_stuck_relay(wired):
    driver, sim, gate_sim, clock = wired
    sim.refuse_next_offs = 99
    with pytest.raises(DeviceTimeoutError, match="coil 0 may be stuck ON — off was not acknowledged after 5"):
        driver.open()


def test_unreachable_module_fails_fast_with_a_transport_error():
    from drivers.errors import TransportError
    driver = ModbusRelayGate.tcp("127.0.0.1", 1, timeout=0.5)
    with pytest.raises(TransportError, match="cannot connect to the relay module for write coil 0 ON"):
        driver.open()
