"""A barrier gate driven by a Modbus relay module (RTU over RS485, or Modbus TCP), via pymodbus.

The module's coils are relays wired to the gate controller's dry contacts, its discrete inputs read the
vehicle loop (地感) and the arm-up limit. Frames on the wire (RTU, unit 1)::

    relay 0 on     01 05 00 00 FF 00 8C 3A      write single coil 0 = ON
    relay 0 off    01 05 00 00 00 00 CD CA      write single coil 0 = OFF
    read 8 inputs  01 02 00 00 00 08 79 CC      read discrete inputs 0..7

Modbus TCP carries the same PDUs behind a 7-byte MBAP header. A contact is *pulsed*: on, hold for
``pulse_seconds``, off. The off is retried until the module acknowledges it, because a relay left on
holds the gate open (or, on CLOSE, fights the anti-smash loop). The wait uses an injected ``sleep``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ModbusException

from drivers.errors import DeviceRejectedError, DeviceTimeoutError, DriverError, TransportError

log = logging.getLogger(__name__)


class ModbusRelayGate:
    """Gate interface (``open``, ``close``, ``stop``, ``loop_occupied``) over a Modbus relay module."""

    def __init__(self, client: ModbusSerialClient | ModbusTcpClient, *, unit: int = 1, open_coil: int = 0,
                 close_coil: int | None = 1, stop_coil: int | None = 2, loop_input: int = 0,
                 arm_up_input: int | None = 1, pulse_seconds: float = 0.5, off_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep, name: str = "modbus relay") -> None:
        self.client = client
        self.unit = unit
        self.open_coil, self.close_coil, self.stop_coil = open_coil, close_coil, stop_coil
        self.loop_input, self.arm_up_input = loop_input, arm_up_input
        self.pulse_seconds = pulse_seconds
        self.off_retries = off_retries
        self.sleep = sleep
        self.name = name
        self.last_error: str | None = None

    @classmethod
    def rtu(cls, port: str, *, baudrate: int = 9600, timeout: float = 0.5, **kwargs: Any) -> "ModbusRelayGate":
        client = ModbusSerialClient(port, baudrate=baudrate, timeout=timeout, retries=0)
        return cls(client, name=f"modbus-rtu {port}", **kwargs)

    @classmethod
    def tcp(cls, host: str, port: int = 502, *, timeout: float = 1.0, **kwargs: Any) -> "ModbusRelayGate":
        client = ModbusTcpClient(host, port=port, timeout=timeout, retries=0)
        return cls(client, name=f"modbus-tcp {host}:{port}", **kwargs)

    # ------------------------------------------------------------------------------------- contacts

    def open(self) -> None:
        self.pulse(self.open_coil)

    def close(self) -> None:
        if self.close_coil is None:
            raise TransportError(f"{self.name}: no CLOSE contact configured (close_coil)")
        self.pulse(self.close_coil)

    def stop(self) -> None:
        if self.stop_coil is None:
            raise TransportError(f"{self.name}: no STOP contact configured (stop_coil)")
        self.pulse(self.stop_coil)

    def hold_open(self, on: bool = True) -> None:
        """常开: hold the OPEN contact (True) or release it (False, retried until acknowledged)."""
        if on:
            self.set_coil(self.open_coil, True)
        else:
            self._confirmed_off(self.open_coil)

    def pulse(self, coil: int) -> None:
        """Relay ``coil`` on, wait ``pulse_seconds``, off; the off is retried until acknowledged."""
        self.set_coil(coil, True)
        try:
            self.sleep(self.pulse_seconds)
        finally:
            self._confirmed_off(coil)

    def _confirmed_off(self, coil: int) -> None:
        last: Exception | None = None
        for attempt in range(1, self.off_retries + 1):
            try:
                self.set_coil(coil, False)
                return
            except DriverError as exc:
                last = exc
                log.warning("%s: coil %d off not acknowledged (attempt %d of %d): %s",
                            self.name, coil, attempt, self.off_retries, exc)
        raise DeviceTimeoutError(f"{self.name}: coil {coil} may be stuck ON — off was not acknowledged after "
                                 f"{self.off_retries} attempts ({last}); check the module and the gate")

    def set_coil(self, coil: int, on: bool) -> None:
        self._call(f"write coil {coil} {'ON' if on else 'OFF'}", self.client.write_coil, coil, on,
                   device_id=self.unit)

    # --------------------------------------------------------------------------------------- inputs

    def read_inputs(self, count: int = 8) -> list[bool]:
        result = self._call(f"read {count} discrete inputs", self.client.read_discrete_inputs, 0, count=count,
                            device_id=self.unit)
        return [bool(b) for b in result.bits[:count]]

    def loop_occupied(self) -> bool:
        return self.read_inputs(max(8, self.loop_input + 1))[self.loop_input]

    def arm_up(self) -> bool | None:
        if self.arm_up_input is None:
            return None
        return self.read_inputs(max(8, self.arm_up_input + 1))[self.arm_up_input]

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self.client.connected and not self.client.connect():
            self.last_error = f"cannot connect for {what}"
            raise TransportError(f"{self.name}: cannot connect to the relay module for {what}")
        try:
            result = fn(*args, **kwargs)
        except ModbusException as exc:
            self.client.close()
            self.last_error = f"{what}: {exc}"
            raise DeviceTimeoutError(f"{self.name}: {what} got no valid answer from unit {self.unit}: {exc}") from exc
        if result.isError():
            self.last_error = f"{what}: {result}"
            raise DeviceRejectedError(f"{self.name}: unit {self.unit} refused {what}: {result}")
        self.last_error = None
        return result

    def shutdown(self) -> None:
        self.client.close()
