"""A simulated VZ / Zhenshi plate camera that pushes real VZ JSON over HTTP.

It behaves like the camera side of :mod:`drivers.vz.push`: each ``push_plate`` POSTs one plate result
(optionally with Pillow-drawn scene and plate JPEGs), retries a failed push as the firmware does, reads
the server's answer as commands, and records what a real camera would act on: whether the gate was told
to open, IO pulses, and the LED/voice frames forwarded to its RS485 port (decoded with
:class:`drivers.olm.FrameDecoder`). Records that could not be delivered are kept and replayed as offline
records by ``push_offline``, one at a time, each only after the server answered ``ContinuePushOffline``.
"""

from __future__ import annotations

import http.client
import itertools
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

from drivers.errors import TransportError
from drivers.olm import FrameDecoder, OlmFrame
from drivers.vz.push import (HEARTBEAT_PATH, PLATE_RESULT_PATH, VzPlateResult, VzResponse,
                             decode_response, encode_plate_result)
from drivers.vz.heartbeat import VzHeartbeat, encode_heartbeat

PUSH_ATTEMPTS = 5  # the first try plus the 4 retries the firmware makes


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class CameraLog:
    """What the camera was told to do, in order."""

    responses: list[VzResponse] = field(default_factory=list)
    serial_frames: list[OlmFrame] = field(default_factory=list)
    ioctrls: list[tuple[int, int, int]] = field(default_factory=list)
    gate_opens: int = 0


class CameraSimulator:
    """Camera ``serialno`` pushing to ``push_url`` (a base URL, or the full plate-result URL)."""

    def __init__(self, serialno: str, push_url: str, *, clock: Callable[[], datetime] = utc_now,
                 channel: int = 0, device_name: str = "IVS", ipaddr: str = "192.168.1.100",
                 timeout: float = 5.0, first_plateid: int = 1) -> None:
        parts = urlsplit(push_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"push_url {push_url!r}: expected http://host:port[/path]")
        self.serialno = serialno
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path if parts.path not in ("", "/") else PLATE_RESULT_PATH
        self.query = f"?{parts.query}" if parts.query else ""  # the camera's key rides on every push
        self.clock = clock
        self.channel, self.device_name, self.ipaddr = channel, device_name, ipaddr
        self.timeout = timeout
        self._ids = itertools.count(first_plateid)
        self._conn: http.client.HTTPConnection | None = None
        self._decoder = FrameDecoder()
        self.log = CameraLog()
        self.offline: list[VzPlateResult] = []

    # --------------------------------------------------------------------------- what was received

    @property
    def serial_frames(self) -> list[OlmFrame]:
        return self.log.serial_frames

    @property
    def gate_opened(self) -> bool:
        """Whether the last answer told the camera to open the gate."""
        return bool(self.log.responses) and self.log.responses[-1].open_gate

    # --------------------------------------------------------------------------------------- pushes

    def make_result(self, license: str, color_type: int = 1, plate_type: int = 1, *, confidence: int = 96,
                    direction: int = 0, trigger_type: int = 1, with_image: bool = False,
                    is_fake: bool = False) -> VzPlateResult:
        image = crop = None
        if with_image:
            from simulators.snapshot import snapshot_jpegs
            image, crop = snapshot_jpegs(license, color_type)
        return VzPlateResult(
            serialno=self.serialno, channel=self.channel, device_name=self.device_name, ipaddr=self.ipaddr,
            license=license, color_type=color_type, plate_type=plate_type, confidence=confidence,
            direction=direction, trigger_type=trigger_type, plateid=next(self._ids), is_offline=False,
            is_fake=is_fake, timestamp=self.clock(), image=image, plate_image=crop)

    def push_plate(self, license: str, color_type: int = 1, plate_type: int = 1, *, confidence: int = 96,
                   direction: int = 0, trigger_type: int = 1, with_image: bool = False,
                   is_fake: bool = False) -> VzResponse:
        """Push one recognition and return the decoded answer.

        If the server cannot be reached after the retries, the record is kept for ``push_offline`` and
        ``TransportError`` is raised.
        """
        result = self.make_result(license, color_type, plate_type, confidence=confidence, direction=direction,
                                  trigger_type=trigger_type, with_image=with_image, is_fake=is_fake)
        return self.push_result(result)

    def push_result(self, result: VzPlateResult) -> VzResponse:
        try:
            return self._deliver(self.path, encode_plate_result(result), "application/json")
        except TransportError:
            if not result.is_offline:
                self.offline.append(replace(result, is_offline=True))
            raise

    def push_offline(self, max_records: int | None = None) -> int:
        """Replay stored records in order while the server confirms each one; return how many were taken."""
        sent = 0
        while self.offline and (max_records is None or sent < max_records):
            record = self.offline[0]
            resp = self._deliver(self.path, encode_plate_result(record), "application/json")
            if resp.continue_offline_plateid != record.plateid:
                break  # the server has not confirmed; the firmware sends the same record again later
            self.offline.pop(0)
            sent += 1
        return sent

    def heartbeat(self) -> VzResponse:
        """POST a multipart heartbeat; in comet mode the answer may carry a command (e.g. open the gate)."""
        beat = VzHeartbeat(device_name=self.device_name, ipaddr=self.ipaddr, port=80, user_name="admin",
                           password="", serialno=self.serialno, channel_num=1)
        body, content_type = encode_heartbeat(beat)
        return self._deliver(HEARTBEAT_PATH, body, content_type)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------------------------ transport

    def _deliver(self, path: str, body: bytes, content_type: str) -> VzResponse:
        last: Exception | None = None
        for _ in range(PUSH_ATTEMPTS):
            try:
                status, answer = self._post(path, body, content_type)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                last = exc
                continue
            if status != 200:
                last = TransportError(f"POST {path} answered HTTP {status}: {answer[:200]!r}")
                if status < 500:
                    break
                continue
            resp = decode_response(answer)
            self._record(resp)
            return resp
        raise TransportError(f"camera {self.serialno}: push to http://{self.host}:{self.port}{path} failed "
                             f"after {PUSH_ATTEMPTS} attempts: {last}")

    def _post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.request("POST", path + self.query, body=body, headers={"Content-Type": content_type})
        reply = self._conn.getresponse()
        data = reply.read()
        if reply.getheader("Connection", "").lower() == "close":
            self.close()
        return reply.status, data

    def _record(self, resp: VzResponse) -> None:
        self.log.responses.append(resp)
        if resp.open_gate:
            self.log.gate_opens += 1
        if resp.ioctrl is not None:
            self.log.ioctrls.append(resp.ioctrl)
        for chunk in resp.serial_data:
            self.log.serial_frames.extend(self._decoder.feed(chunk))


class CometPoller:
    """A camera in comet mode: it posts a heartbeat again as soon as each answer arrives (with a short
    pause), so a hand command reaches it within moments. Use as a context manager around the action
    that sends the command; the camera's log holds what it was told."""

    def __init__(self, camera: CameraSimulator, pause: float = 0.02) -> None:
        self.camera = camera
        self.pause = pause
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> CameraSimulator:
        self._thread = threading.Thread(target=self._run, name=f"comet:{self.camera.serialno}", daemon=True)
        self._thread.start()
        return self.camera

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.camera.heartbeat()
            except TransportError:
                pass
            self._stop.wait(self.pause)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
