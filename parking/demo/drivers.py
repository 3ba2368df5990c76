"""The drivers of ``parking demo`` who owe a fee, and the attendant at the booth: how each stay is paid.

Of the temporary cars that owe a fee when they leave (``PaymentShares``, drawn from a seeded RNG):

- ``ahead``: pay from inside the lot by phone (场内预付), by WeChat Pay or Alipay, then drive out;
- ``exit_qr``: held at the exit, scan its QR (出口码) and pay by phone; the lane opens once the payment
  is booked (``ledger.settle`` asks the lane to decide again);
- ``cash``: held at the exit, pay the attendant, whose shift (开班 at the start, 交班 at the end, confirmed
  by the manager) books it (``release_by_hand(outcome="cash")``);
- ``unpaid``: the attendant lets the car out unpaid; what it owed becomes arrears on its plate;
- ``free``: the attendant lets it out free, with a reason from the lot's list.

A phone payment is an order placed as the phone page places it (``ledger.place_order``, scene ``phone``,
the notification address under the web's public address), paid on the simulated platform as its payer;
the platform's signed notification reaches the web, which books it. The attendant has one booth, at one
lot; the other lots are unattended, and there a driver who would have gone to a booth scans the exit QR.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select

from simulators.lanes import SimLane

from ..context import LotContext
from ..models import Lane, LaneDirection, Operator, Payment, PaymentStatus, Role, Shift
from ..payments.base import Provider, ProviderError
from ..plates import Plate, PlateError, parse
from ..runtime import Runtime
from ..services import ledger, shifts
from ..services.fees import ExitBeforeEntryError, NotParkedError
from ..services.hand_release import HandReleaseError, release_by_hand
from ..tariffs.stay import fen_to_yuan
from .platforms import DemoPlatforms, PlatformPayError

log = logging.getLogger(__name__)

WAYS = ("ahead", "exit_qr", "cash", "unpaid", "free")
HAND_WAYS = ("cash", "unpaid", "free")  # settled by the attendant, at the booth's lot only
BOOKED_WAIT_SECONDS = 5.0  # how long a payer waits for "支付成功" after paying
OPENING_FLOAT_FEN = 200_00  # change money in the booth's drawer
NOTES_FEN = (10_00, 20_00, 50_00, 100_00)


class DriversError(ValueError):
    """Shares that cannot be used; ``field`` names the one that was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class PaymentShares:
    """How the cars that owe a fee settle it: weights of the ways (any scale), and of the phone
    payments the share paid by WeChat Pay (the rest by Alipay)."""

    ahead: float = 0.35
    exit_qr: float = 0.35
    cash: float = 0.18
    unpaid: float = 0.06
    free: float = 0.06
    wechat: float = 0.6

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise DriversError(f.name, f"{value!r}: expected a number, not negative")
        if self.wechat > 1:
            raise DriversError("wechat", f"{self.wechat!r}: a share from 0 to 1")
        if sum(getattr(self, way) for way in WAYS) <= 0:
            raise DriversError("shares", "at least one way of paying needs a share above 0")

    @classmethod
    def parse(cls, text: str) -> PaymentShares:
        """``ahead=0.35,exit_qr=0.35,cash=0.18,unpaid=0.06,free=0.06,wechat=0.6``; keys left out keep
        their defaults."""
        values: dict[str, float] = {}
        known = [f.name for f in fields(cls)]
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, raw = item.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in known:
                raise DriversError(key or item, f"expected one of {', '.join(known)} as key=number")
            try:
                values[key] = float(raw)
            except ValueError:
                raise DriversError(key, f"{raw.strip()!r} is not a number") from None
        return cls(**values)

    def draw(self, rng: random.Random) -> tuple[str, str]:
        """A way of paying and a platform (both drawn always, so a run's draws follow from its seed)."""
        way = rng.choices(WAYS, weights=[getattr(self, w) for w in WAYS])[0]
        method = "wechat" if rng.random() < self.wechat else "alipay"
        return way, method


def cash_given(due_fen: int, rng: random.Random) -> int:
    """What a driver hands over: the exact amount now and then, else the smallest note that covers it."""
    if rng.random() < 0.3:
        return due_fen
    return next((note for note in NOTES_FEN if note >= due_fen), -(-due_fen // NOTES_FEN[-1]) * NOTES_FEN[-1])


class PayingDrivers:
    """The ``ExitPayer`` of the demo's traffic (``simulators.lanes``); also the booth's attendant."""

    def __init__(self, runtime: Runtime, lots: Callable[[], Mapping[int, LotContext]], providers: Mapping[str, Provider],
                 platforms: DemoPlatforms, clock: Callable[[], datetime], web_url: str, *,
                 shares: PaymentShares = PaymentShares(), seed: int = 0) -> None:
        self.runtime, self.lots, self.providers, self.platforms = runtime, lots, providers, platforms
        self.clock, self.web_url, self.shares = clock, web_url.rstrip("/"), shares
        self.rng = random.Random(f"{seed}:payments")  # its own: the traffic's plates stay those of the seed
        self.ways: dict[tuple[int, str], tuple[str, str]] = {}
        self.outcomes: Counter[str] = Counter()
        self.attendant_id: int | None = None
        self.manager_id: int | None = None
        self.shift_id: int | None = None
        self.booth_lot_id: int | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-payer")
        self._lock = threading.Lock()

    # -- the booth's shift ------------------------------------------------------------------------

    def open_booth(self) -> Shift | None:
        """The attendant opens a shift at the first lot's first exit (closing one an earlier run left open)."""
        now = self.clock()
        with self.runtime.sessions() as db:
            attendant = db.scalar(select(Operator).where(Operator.role == Role.ATTENDANT, Operator.active.is_(True)).order_by(Operator.id))
            manager = db.scalar(select(Operator).where(Operator.role.in_([Role.MANAGER, Role.ADMIN]), Operator.active.is_(True))
                                .order_by(Operator.role != Role.MANAGER, Operator.id))
            booth = db.scalar(select(Lane).where(Lane.direction == LaneDirection.EXIT, Lane.enabled.is_(True)).order_by(Lane.lot_id, Lane.id))
            if attendant is None or manager is None or booth is None:
                log.warning("no attendant, manager or exit lane: drivers pay by phone only")
                return None
            self.attendant_id, self.manager_id, self.booth_lot_id = attendant.id, manager.id, booth.lot_id
            left_open = shifts.current_shift(db, attendant.id)
            if left_open is not None:
                self._close(db, left_open, now, note="left open by an earlier demo run")
            shift = shifts.open_shift(db, operator_id=attendant.id, lot_id=booth.lot_id, lane_id=booth.id, at=now,
                                      opening_float_fen=OPENING_FLOAT_FEN)
            self.shift_id = shift.id
            return shift

    def close_booth(self) -> Shift | None:
        """Wait for the settlements under way, then the attendant counts the drawer and hands over; the
        manager confirms. The demo's attendant counts exactly what the shift's report expects."""
        self._pool.shutdown(wait=True)
        log.info("drivers who owed a fee: %s", ", ".join(f"{what} {n}" for what, n in sorted(self.outcomes.items())) or "none")
        if self.shift_id is None:
            return None
        with self.runtime.sessions() as db:
            shift = db.get(Shift, self.shift_id)
            assert shift is not None
            return self._close(db, shift, self.clock(), note="")

    def _close(self, db, shift: Shift, now: datetime, *, note: str) -> Shift:  # type: ignore[no-untyped-def]
        expected = shifts.shift_report(db, shift, until=now)["expected_cash_fen"]
        shifts.close_shift(db, shift, counted_cash_fen=expected, at=now, operator_id=shift.operator_id, note=note)
        return shifts.confirm_shift(db, shift, manager_id=self.manager_id, at=now)  # type: ignore[arg-type]

    # -- the traffic's questions ------------------------------------------------------------------

    def before_exit(self, lane: SimLane, plate: str) -> None:
        lot, car = self.lots().get(lane.lot_id), _plate(plate)
        if lot is None or car is None:
            return
        due = self._due(lot, car)
        if due <= 0:
            return
        way, method = self.shares.draw(self.rng)
        if way in HAND_WAYS and (lane.lot_id != self.booth_lot_id or self.shift_id is None):
            way = "exit_qr"  # an unattended lot: the exit QR is the way out
        self.ways[(lane.lot_id, plate)] = (way, method)
        log.info("driver %s owes %s yuan at %s: %s", ledger.mask(plate), fen_to_yuan(due), lane.code,
                 f"{way} by {method}" if way in ("ahead", "exit_qr") else way)
        if way == "ahead":
            self._count(self._pay_by_phone(lot, car, method, via="prepay"), f"ahead {method}")

    def held(self, lane: SimLane, plate: str) -> Future[bool] | None:
        way, method = self.ways.pop((lane.lot_id, plate), ("", ""))
        lot, car = self.lots().get(lane.lot_id), _plate(plate)
        if lot is None or car is None:
            return None
        if way in ("", "ahead"):
            # Held although it owed nothing when it set off, or its payment ahead did not go through.
            if self._due(lot, car) <= 0:
                return None
            way, method = "exit_qr", method or "wechat"
        given = cash_given(self._due(lot, car), self.rng) if way == "cash" else None
        reason = self.rng.choice([r for r in lot.policy.free_release_reasons if r != "其他"] or ["其他"]) if way == "free" else ""
        return self._pool.submit(self._settle, way, method, lane, lot, car, given, reason)

    # -- settling ---------------------------------------------------------------------------------

    def _settle(self, way: str, method: str, lane: SimLane, lot: LotContext, car: Plate, given: int | None, reason: str) -> bool:
        try:
            with self.runtime.sessions() as db:
                row = db.scalar(select(Lane).where(Lane.lot_id == lane.lot_id, Lane.code == lane.code))
                if row is None:
                    return False
                if way == "exit_qr":
                    lane_id = row.id
                else:
                    done = release_by_hand(db, self.runtime.store, lot, row, outcome=way, operator_id=self.attendant_id,  # type: ignore[arg-type]
                                           now=self.clock(), plate=car.text, given_fen=given, reason=reason)
                    return self._count(done.command.outcome in ("delivered", "pending"), way)
            return self._count(self._pay_by_phone(lot, car, method, via="exit_qr", lane_id=lane_id), f"exit_qr {method}")
        except HandReleaseError as exc:
            log.warning("attendant could not settle %s at %s (%s): %s", ledger.mask(car.text), lane.code, way, exc)
            return self._count(False, way)
        except Exception:  # noqa: BLE001  (a settlement that fails leaves the car at the exit; the demo goes on)
            log.exception("settling %s at %s (%s) failed", ledger.mask(car.text), lane.code, way)
            return self._count(False, way)

    def _pay_by_phone(self, lot: LotContext, car: Plate, method: str, *, via: str, lane_id: int | None = None) -> bool:
        """Place the order as the phone page does, pay it as the payer, wait until the ledger booked it."""
        provider = self.providers.get(method)
        if provider is None:
            log.warning("no %s provider: %s cannot pay by phone", method, ledger.mask(car.text))
            return False
        try:
            with self.runtime.sessions() as db:
                payment = ledger.place_order(db, self.runtime.store, provider, lot, car, at=self.clock(), scene="phone", via=via,
                                             lane_id=lane_id, notify_url=f"{self.web_url}/pay/notify/{method}")
                uid, pay_url = payment.uid, payment.pay_url
            self.platforms.pay(method, uid, pay_url)
        except (ledger.LedgerError, ProviderError, PlatformPayError, NotParkedError, ExitBeforeEntryError) as exc:
            log.warning("%s could not pay by %s (%s): %s", ledger.mask(car.text), method, via, exc)
            return False
        return self._booked(uid)

    def _booked(self, uid: str) -> bool:
        end = time.monotonic() + BOOKED_WAIT_SECONDS
        while True:
            with self.runtime.sessions() as db:
                row = db.execute(select(Payment.status, Payment.settled_at).where(Payment.uid == uid)).first()
            if row is not None and row.status == PaymentStatus.PAID and row.settled_at is not None:
                return True
            if time.monotonic() >= end:
                log.warning("order %s: no booked payment after %.0f s", uid, BOOKED_WAIT_SECONDS)
                return False
            time.sleep(0.02)

    def _due(self, lot: LotContext, car: Plate) -> int:
        try:
            return ledger.due(self.runtime.store, lot, car, self.clock()).due_fen
        except (NotParkedError, ExitBeforeEntryError):
            return 0

    def _count(self, ok: bool, what: str) -> bool:
        with self._lock:
            self.outcomes[what if ok else f"{what} failed"] += 1
        return ok


def _plate(text: str) -> Plate | None:
    try:
        parsed = parse(text)
    except PlateError:
        return None
    return parsed if isinstance(parsed, Plate) else None
