"""``parking worker``: persists every lot's event stream into SQL (see ``occupancy.recorder``), and every
``PAYMENT_ROUND_SECONDS`` settles the payments (``settle_payments``): orders past their expiry are asked
about and booked or closed, and paid ones the live store has not acknowledged are replayed into it. Once
a day, when the platforms publish them, it compares yesterday's bills with the ledger (``bill_round``), and
it sums the revenue of the days that are over (``revenue_round``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

import redis
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from .models import Lot
from .payments.base import Provider
from .runtime import REDIS_UNAVAILABLE, Runtime
from .services import ledger

log = logging.getLogger(__name__)

LOT_RELOAD_SECONDS = 30.0  # how often the worker looks for lots added since it started
PAYMENT_ROUND_SECONDS = LOT_RELOAD_SECONDS  # how often orders are expired and payments settled


def lot_ids(runtime: Runtime) -> list[int]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Lot.id).order_by(Lot.id)))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def settle_payments(runtime: Runtime, providers: Mapping[str, Provider], now: datetime) -> dict[str, int]:
    """One round of the payment job: ``ledger.expire_orders`` (an order nobody was heard to pay is asked
    about, then booked or closed), then ``ledger.settle_unsettled``. Returns the counts of both."""
    with runtime.sessions() as db:
        counts = ledger.expire_orders(db, runtime.store, dict(providers), now)
        counts["settled"] = len(ledger.settle_unsettled(db, runtime.store, now))
    return counts


class Worker:
    def __init__(self, runtime: Runtime, *, consumer: str | None = None, providers: Mapping[str, Provider] | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.runtime = runtime
        self.providers = providers  # loaded from the settings when the worker starts, unless given
        self.clock = clock
        self.recorder = runtime.store.recorder(runtime.sessions, lot_ids(runtime), consumer=consumer)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jobs: threading.Thread | None = None

    def drain(self) -> int:
        return self.recorder.drain()

    def start(self) -> "Worker":
        if self.providers is None:  # a payment configuration that cannot be used stops the start, naming it
            from .payments.registry import load_providers

            self.providers = load_providers(self.runtime.settings)
        self._thread = threading.Thread(target=self.run, name="worker", daemon=True)
        self._thread.start()
        # The money jobs talk to payment platforms that may be slow or unreachable for their whole timeout:
        # they run beside the recording, never in its way.
        self._jobs = threading.Thread(target=self.run_jobs, name="worker-jobs", daemon=True)
        self._jobs.start()
        return self

    def run(self) -> None:
        log.info("worker recording the event streams of lots %s", self.recorder.lot_ids)
        while not self._stop.is_set():
            self.recorder.run_forever(self._deadline(LOT_RELOAD_SECONDS), block_ms=500)
            self.follow_new_lots()

    def run_jobs(self) -> None:
        """Every ``PAYMENT_ROUND_SECONDS``: payments, bills, revenue days, each failing on its own."""
        while not self._stop.is_set():
            self.payment_round()
            self.bill_round()
            self.revenue_round()
            self._stop.wait(PAYMENT_ROUND_SECONDS)

    def follow_new_lots(self) -> list[int]:
        """Start recording the streams of lots added since the worker started."""
        try:
            new = self.recorder.follow(lot_ids(self.runtime))
        except (redis.RedisError, OperationalError) as exc:
            log.warning("lots not reloaded: %s", exc)
            return []
        if new:
            log.info("worker now also records lots %s", new)
        return new

    def payment_round(self) -> dict[str, int] | None:
        """``settle_payments`` now; a database or Redis that does not answer waits for the next round."""
        try:
            counts = settle_payments(self.runtime, self.providers or {}, self.clock())
        except (OperationalError, *REDIS_UNAVAILABLE) as exc:
            log.warning("payments not settled this round: %s", exc)
            return None
        except Exception:  # noqa: BLE001  (a payment that cannot be settled must not stop the recording)
            log.exception("payments not settled this round")
            return None
        if any(counts.values()):
            log.info("payments: %s", counts)
        return counts

    def bill_round(self) -> list[tuple[str, str, str]] | None:
        """Yesterday's bills against the ledger once the platforms publish them (``reconciliation.reconcile_due``):
        (day, method, status) of each day compared now."""
        from .services.reconciliation import reconcile_due

        try:
            with self.runtime.sessions() as db:
                done = [(row.day.isoformat(), row.method.value, row.status.value)
                        for row in reconcile_due(db, self.providers or {}, self.clock())]
        except OperationalError as exc:
            log.warning("bills not reconciled this round: %s", exc)
            return None
        except Exception:  # noqa: BLE001  (a bill that cannot be read must not stop the recording)
            log.exception("bills not reconciled this round")
            return None
        for day, method, status in done:
            log.info("the %s bill of %s reconciled: %s", method, day, status)
        return done

    def revenue_round(self) -> int | None:
        """The revenue report's past days summed (``revenue_days.sum_days``, PostgreSQL): how many lot-days."""
        from .services.revenue_days import sum_days

        try:
            with self.runtime.sessions() as db:
                return sum_days(db, self.clock(), default_tz=self.runtime.settings.timezone)
        except OperationalError as exc:
            log.warning("revenue days not summed this round: %s", exc)
        except Exception:  # noqa: BLE001  (the report adds the ledger up meanwhile; recording goes on)
            log.exception("revenue days not summed this round")
        return None

    def _deadline(self, seconds: float) -> Callable[[], bool]:
        end = time.monotonic() + seconds
        return lambda: self._stop.is_set() or time.monotonic() >= end

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._jobs):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._jobs = None
        self.recorder.drain()  # whatever arrived while stopping is still recorded
