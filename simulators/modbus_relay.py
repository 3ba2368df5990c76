"""A simulated Modbus relay module: a pymodbus server (RTU on a serial path, or TCP) with 8 coils and 8 inputs.

Coil writes are recorded in ``writes`` and handed to ``on_coil(coil, on)``; discrete inputs are read
from ``inputs()`` at each request, so a :class:`simulators.gate.GateSimulator` can supply the loop and
arm-up signals. ``refuse_next_offs`` makes the next N coil-off writes answer DEVICE_BUSY, to exercise
the driver's confirmed-off retries. The server runs its own asyncio loop in a daemon thread.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Callable

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


class ModbusRelaySimulator:
    def __init__(self, unit: int = 1, *, on_coil: Callable[[int, bool], None] | None = None,
                 inputs: Callable[[], list[bool]] | None = None) -> None:
        self.unit = unit
        self.on_coil = on_coil
        self.inputs = inputs or (lambda: [False] * 8)
        self.writes: list[tuple[int, bool | None]] = []  # None: a write this module refused
        self.coils = [False] * 8
        self.refuse_next_offs = 0
        self.written = threading.Condition()
        bits = lambda: [SimData(0, count=16, values=False, datatype=DataType.BITS)]  # noqa: E731
        regs = lambda: [SimData(0, count=1, values=0, datatype=DataType.REGISTERS)]  # noqa: E731
        self._device = SimDevice(id=unit, simdata=(bits(), bits(), regs(), regs()), action=self._action)
        self._loop = asyncio.new_event_loop()
        self._server: ModbusTcpServer | ModbusSerialServer | None = None
        self._thread: threading.Thread | None = None

    async def _action(self, fc: int, start: int, address: int, count: int, registers: list[int],
                      values: list[int] | list[bool] | None) -> ExcCodes | None:
        if fc in (5, 15) and values is not None:
            if self.refuse_next_offs > 0 and not any(values):
                self.refuse_next_offs -= 1
                with self.written:
                    self.writes.append((address, None))   # type: ignore[arg-type]  # refused
                return ExcCodes.DEVICE_BUSY
            for i, value in enumerate(values):
                coil = address + i
                if coil < len(self.coils):
                    self.coils[coil] = bool(value)
                with self.written:
                    self.writes.append((coil, bool(value)))
                    self.written.notify_all()
                if self.on_coil is not None:
                    self.on_coil(coil, bool(value))
        elif fc == 2:
            mask = 0
            for i, on in enumerate(self.inputs()[:16]):
                mask |= int(bool(on)) << i
            registers[0] = mask
        return None

    def wait_for_writes(self, n: int, timeout: float = 2.0) -> bool:
        with self.written:
            return self.written.wait_for(lambda: len(self.writes) >= n, timeout)

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Serve Modbus TCP; returns the bound address (port 0 picks a free one)."""
        if port == 0:
            import socket
            with socket.socket() as probe:
                probe.bind((host, 0))
                port = probe.getsockname()[1]
        self._start(lambda: ModbusTcpServer(self._device, address=(host, port)))
        return host, port

    def start_rtu(self, path: str, baudrate: int = 9600) -> None:
        """Serve Modbus RTU on a serial device path (e.g. one end of a :class:`simulators.ptylink.PtyLink`)."""
        self._start(lambda: ModbusSerialServer(self._device, port=path, baudrate=baudrate))

    def _start(self, make: Callable[[], ModbusTcpServer | ModbusSerialServer]) -> None:
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)

            async def serve() -> None:
                self._server = make()
                await self._server.serve_forever(background=True)
                started.set()

            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="modbus-relay-sim", daemon=True)
        self._thread.start()
        if not started.wait(5):
            raise RuntimeError("modbus relay simulator did not start within 5 s")

    def shutdown(self) -> None:
        if self._server is not None:
            fut = asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop)
            try:
                fut.result(timeout=3)
            except Exception:  # noqa: BLE001 - best effort on teardown
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=3)
