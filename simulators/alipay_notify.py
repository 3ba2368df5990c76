"""How the simulated Alipay delivers its asynchronous notifications: HTTP POSTs from a background thread.

Each notification is a signed form (built by :mod:`simulators.alipay`) posted to the trade's
``notify_url`` with ``Content-Type: application/x-www-form-urlencoded; charset=utf-8``. Alipay reads the
answer and stops only at exactly ``success``. Here a notification that was not answered ``success`` (or
could not be posted) waits with the held ones (the ``delay`` switch) until :meth:`Notifier.release` posts
them again: the simulator's clock never drives retries, so tests decide when they happen.

Every attempt is recorded as a :class:`Delivery`; :meth:`Notifier.wait_delivered` waits on a condition
for a number of attempts, never by sleeping.
"""

from __future__ import annotations

import http.client
import queue
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class Notice:
    url: str
    body: bytes
    params: dict[str, str]


@dataclass(frozen=True)
class Delivery:
    """One POST of a notification and what the merchant answered (status 0: no answer, see ``error``)."""

    notice: Notice
    status: int
    answer: str
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == 200 and self.answer.strip() == "success"

    def as_json(self) -> dict[str, object]:
        return {"url": self.notice.url, "out_trade_no": self.notice.params.get("out_trade_no", ""),
                "trade_status": self.notice.params.get("trade_status", ""),
                "notify_id": self.notice.params.get("notify_id", ""), "status": self.status,
                "answer": self.answer[:200], "accepted": self.accepted, "error": self.error}


class Notifier:
    def __init__(self, *, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._queue: queue.Queue[Notice | None] = queue.Queue()
        self._changed = threading.Condition()
        self._deliveries: list[Delivery] = []
        self._waiting: list[Notice] = []  # held by the delay switch, or not answered success
        self.dropped: list[Notice] = []
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alipay-sim-notify", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self.timeout + 5)
            self._thread = None

    def send(self, notice: Notice, *, copies: int = 1, hold: bool = False, drop: bool = False) -> None:
        with self._changed:
            if drop:
                self.dropped.append(notice)
                return
            if hold:
                self._waiting.extend([notice] * copies)
                return
        for _ in range(copies):
            self._queue.put(notice)

    def release(self) -> int:
        """Post every held or unanswered notification now; how many were queued."""
        with self._changed:
            waiting, self._waiting = self._waiting, []
        for notice in waiting:
            self._queue.put(notice)
        return len(waiting)

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._changed:
            return list(self._deliveries)

    def wait_delivered(self, n: int, timeout: float = 5.0) -> list[Delivery]:
        """Block until at least ``n`` POSTs were made; the deliveries so far. TimeoutError if not in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._deliveries) >= n, timeout):
                raise TimeoutError(f"{len(self._deliveries)} of {n} notifications delivered in {timeout} s")
            return list(self._deliveries)

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            delivery = self._post(notice)
            with self._changed:
                self._deliveries.append(delivery)
                if not delivery.accepted:
                    self._waiting.append(notice)
                self._changed.notify_all()

    def _post(self, notice: Notice) -> Delivery:
        parts = urlsplit(notice.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Delivery(notice, 0, "", f"notify_url {notice.url!r} is not an http(s) address")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = kind(parts.hostname, parts.port, timeout=self.timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", target, body=notice.body, headers={"Content-Type": FORM_TYPE})
            reply = conn.getresponse()
            return Delivery(notice, reply.status, reply.read(4096).decode("utf-8", "replace"))
        except (OSError, http.client.HTTPException) as exc:
            return Delivery(notice, 0, "", f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
