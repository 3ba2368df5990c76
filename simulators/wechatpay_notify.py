"""How the WeChat Pay simulator delivers payment notifications: one background thread POSTing signed
notifications to each order's ``notify_url``, and the switches that make delivery misbehave on purpose.

    drop       the notification is never sent (the ledger must query to learn of the payment)
    delay      notifications wait until release() (``POST /_sim/release``)
    duplicate  each is sent twice, with the same notification id
    forge      sent with a signature that does not verify
    stale      stamped ten minutes before the simulator's clock

Switches are read when a notification is made, so turning one off does not change those already waiting.
Every attempt is logged with the receiver's answer; ``wait_delivered`` waits on a condition, never a sleep.
"""

from __future__ import annotations

import http.client
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

SWITCHES = ("drop", "delay", "duplicate", "forge", "stale", "forge_responses")
STALE_BY = timedelta(minutes=10)


@dataclass(frozen=True)
class Notice:
    notification_id: str
    out_trade_no: str
    url: str
    body: bytes
    serial: str  # the Wechatpay-Serial to send: platform certificate serial or public key id
    forge: bool = False
    stale: bool = False


@dataclass
class Attempt:
    notification_id: str
    out_trade_no: str
    url: str
    outcome: str  # "answered", "unreachable", "dropped", "held"
    status: int = 0
    answer: bytes = b""
    forged: bool = False
    stale: bool = False

    def as_json(self) -> dict[str, object]:
        return {"notification_id": self.notification_id, "out_trade_no": self.out_trade_no, "url": self.url,
                "outcome": self.outcome, "status": self.status, "forged": self.forged, "stale": self.stale,
                "answer": self.answer[:200].decode("utf-8", "replace")}


@dataclass
class Switches:
    drop: bool = False
    delay: bool = False
    duplicate: bool = False
    forge: bool = False
    stale: bool = False
    forge_responses: bool = False  # not a notification switch: API answers are signed wrongly

    def as_json(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in SWITCHES}


@dataclass
class Notifier:
    sign: Callable[[bytes], str]  # the platform's signature over a message
    clock: Callable[[], datetime]
    timeout: float = 5.0
    switches: Switches = field(default_factory=Switches)
    log: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: queue.Queue[Notice | None] = queue.Queue()
        self._held: list[Notice] = []
        self._done = threading.Condition()
        self._delivered = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wechatpay-sim-notify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self.timeout + 2)
            self._thread = None

    def submit(self, notice: Notice) -> None:
        with self._done:
            s = self.switches
            notice = replace(notice, forge=s.forge, stale=s.stale)
            if s.drop:
                self.log.append(Attempt(notice.notification_id, notice.out_trade_no, notice.url, "dropped"))
                return
            copies = [notice, notice] if s.duplicate else [notice]
            if s.delay:
                self._held.extend(copies)
                self.log.append(Attempt(notice.notification_id, notice.out_trade_no, notice.url, "held"))
                return
        for copy in copies:
            self._queue.put(copy)

    def release(self) -> int:
        with self._done:
            held, self._held = self._held, []
        for notice in held:
            self._queue.put(notice)
        return len(held)

    def resend_unanswered(self, notices: dict[str, Notice]) -> int:
        """Send again every notification whose latest attempt was not answered with 2xx."""
        with self._done:
            latest: dict[str, Attempt] = {}
            for attempt in self.log:
                latest[attempt.notification_id] = attempt
            again = [notices[i] for i, a in latest.items()
                     if i in notices and a.outcome in ("answered", "unreachable") and not 200 <= a.status < 300]
        for notice in again:
            self._queue.put(notice)
        return len(again)

    @property
    def delivered(self) -> int:
        with self._done:
            return self._delivered

    def wait_delivered(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` delivery attempts in all have finished (answered or not); False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self._delivered >= count, timeout=timeout)

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            attempt = self._send(notice)
            with self._done:
                self.log.append(attempt)
                self._delivered += 1
                self._done.notify_all()

    def _send(self, notice: Notice) -> Attempt:
        now = self.clock() - (STALE_BY if notice.stale else timedelta(0))
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16).upper()
        message = f"{timestamp}\n{nonce}\n".encode() + notice.body + b"\n"
        signature = self.sign(message + b"forged" if notice.forge else message)
        headers = {"Content-Type": "application/json", "User-Agent": "Mozilla/4.0",
                   "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
                   "Wechatpay-Serial": notice.serial, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                   "Request-ID": secrets.token_hex(16)}
        attempt = Attempt(notice.notification_id, notice.out_trade_no, notice.url, "unreachable",
                          forged=notice.forge, stale=notice.stale)
        parts = urlsplit(notice.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = kind(parts.hostname or "", parts.port, timeout=self.timeout)
        try:
            target = parts.path or "/"
            conn.request("POST", f"{target}?{parts.query}" if parts.query else target, body=notice.body,
                         headers=headers)
            reply = conn.getresponse()
            attempt.outcome, attempt.status, attempt.answer = "answered", reply.status, reply.read(4096)
        except (OSError, http.client.HTTPException) as exc:
            attempt.answer = str(exc).encode()
        finally:
            conn.close()
        return attempt
