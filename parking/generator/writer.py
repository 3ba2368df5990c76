"""Writing a generated span (``parking.generator.plan``) into the database, fast and all at once.

The lots, lanes, tariffs, attendants and merchants are added through the ORM; the history (shifts,
stays, payments, refunds, discounts, coupons, arrears) goes in day by day for every lot, as bulk
inserts with ids given here: ``COPY`` on PostgreSQL, ``executemany`` elsewhere. Everything is one
transaction: a run that stops half way leaves nothing behind. Then the id sequences are moved past the
ids used, each shift's expected cash is summed from its payments (a few counted drawers come out short),
and on PostgreSQL the tables are vacuumed and analysed, and the revenue of the past days is summed
(``parking.services.revenue_days``), as the worker would.

Each lot has two attendants: the day shift (07:00-19:00) and the night shift (19:00-07:00), one shift
row each per day; cash is taken in the shift open at the moment of payment, and free releases are
granted there too. Refunds are made by the site's manager.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ..models import Base, Lane, LaneDirection, Lot, Merchant, Operator, Role, Site, Tariff, Zone, utcnow
from ..passwords import hash_password
from ..services.revenue_days import sum_days
from ..tariffs.examples import document
from .plan import LotPlan, StayPlan, plan_day, plan_lots

SITE_PREFIX = "gen-site-"
FLOAT_FEN = 20_000  # change money in each drawer
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
ORDER = ("shift", "coupon", "parking_session", "payment", "refund", "stay_adjustment", "arrears", "arrears_payment")
COLUMNS = {
    "shift": ("id", "uid", "lot_id", "lane_id", "operator_id", "status", "opened_at", "opening_float_fen", "closed_at",
              "note", "confirmed_by_id", "confirmed_at"),
    "coupon": ("id", "code", "merchant_id", "lot_id", "kind", "value", "plate", "status", "issued_at", "valid_until", "session_uid", "used_at"),
    "parking_session": ("id", "uid", "lot_id", "zone_id", "plate", "plate_color", "vehicle_class", "status", "entry_lane_id", "entry_at",
                        "entry_read", "entry_snapshot", "exit_lane_id", "exit_at", "exit_read", "exit_snapshot", "fee_fen", "paid_fen",
                        "discount_fen", "arrears_fen", "updated_at"),
    "payment": ("id", "uid", "lot_id", "session_uid", "plate", "amount_fen", "method", "status", "purpose", "scene", "operator_id",
                "shift_id", "lane_id", "provider_order_id", "qr_payload", "pay_url", "transaction_id", "payer", "reference",
                "refunded_fen", "arrears_fen", "created_at", "paid_at", "settled_at"),
    "refund": ("id", "uid", "payment_id", "lot_id", "session_uid", "amount_fen", "reason", "status", "refund_id", "operator_id",
               "created_at", "refunded_at"),
    "stay_adjustment": ("id", "uid", "lot_id", "session_uid", "kind", "amount_fen", "reason", "coupon_id", "operator_id", "shift_id",
                        "lane_id", "at"),
    "arrears": ("id", "uid", "lot_id", "plate", "session_uid", "amount_fen", "paid_fen", "status", "reason", "lane_id", "created_at",
                "settled_at"),
    "arrears_payment": ("id", "arrears_id", "payment_id", "amount_fen", "at"),
}


class GenerateError(ValueError):
    """The database cannot take a generated span (it already has one, or the size is out of range)."""


@dataclass
class Generated:
    first: date
    last: date
    lots: int
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    seconds: float = 0.0
    summed_days: int = 0  # lot-days summed for the revenue report (PostgreSQL)
    sum_seconds: float = 0.0


@dataclass
class _LotIds:
    plan: LotPlan
    lot_id: int
    zone_id: int
    entry_lanes: list[int]
    exit_lanes: list[int]
    attendants: tuple[int, int]  # day, night
    manager_id: int
    merchant_id: int


class _Ids:
    """The next free id of each history table."""

    def __init__(self, db: Session) -> None:
        self.next = {name: int(db.scalar(select(func.coalesce(func.max(Base.metadata.tables[name].c.id), 0))) or 0) + 1 for name in ORDER}

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


def generate(engine: Engine, *, lots: int, days: int, seed: int, last: date, tz: str = "Asia/Shanghai",
             progress: Callable[[int, int, dict[str, int]], None] | None = None) -> Generated:
    """Generate ``days`` days ending with ``last`` for ``lots`` new lots; ``progress(done, total, rows)``
    is told after each day."""
    if not 1 <= lots <= 999 or not 1 <= days <= 3660:
        raise GenerateError("between 1 and 999 lots and 1 and 3660 days")
    zone = ZoneInfo(tz)
    first = last - timedelta(days=days - 1)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    started = clock.perf_counter()
    result = Generated(first, last, lots)
    with engine.connect() as connection, Session(bind=connection) as db:
        _ensure_empty(db)
        plans = plan_lots(lots, seed, zone)
        placed = _configure(db, plans, first, end)
        ids = _Ids(db)
        shifts, closed_shifts = _write_shifts(db, placed, first, days, end, ids, result)
        cash: dict[int, int] = defaultdict(int)  # shift id → cash taken in it
        for n in range(days):
            day = first + timedelta(days=n)
            rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in ORDER if name != "shift"}
            for lot in placed:
                for stay in plan_day(lot.plan, day, seed, end):
                    _stay_rows(stay, lot, shifts, ids, rows, cash)
            for name in ORDER[1:]:
                _insert(db, name, rows[name])
                result.rows[name] += len(rows[name])
            if progress is not None:
                progress(n + 1, days, result.rows)
        _finish(db, closed_shifts, cash)
        db.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE " + ", ".join(ORDER)))
        summing = clock.perf_counter()
        with Session(engine) as db:  # the past days summed once, as the worker would (parking.services.revenue_days)
            result.summed_days = sum_days(db, utcnow(), default_tz=tz, max_days=None)
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE revenue_day, revenue_day_summed"))
        result.sum_seconds = clock.perf_counter() - summing
    result.seconds = clock.perf_counter() - started
    return result


def ensure_empty(engine: Engine) -> None:
    """GenerateError when the database already holds a generated span."""
    with Session(engine) as db:
        _ensure_empty(db)


def _ensure_empty(db: Session) -> None:
    if db.scalar(select(Site.id).where(Site.code.startswith(SITE_PREFIX)).limit(1)) is not None:
        raise GenerateError("this database already has generated lots (sites gen-site-…): generate into an empty database")


def _configure(db: Session, plans: Sequence[LotPlan], first: date, end: datetime) -> list[_LotIds]:
    opened = datetime.combine(first, time(0), tzinfo=timezone.utc) - timedelta(days=30)
    password = hash_password("generated-" + str(first))  # one hash for every account: nobody signs in as them
    sites: dict[int, Site] = {}
    managers: dict[int, Operator] = {}
    placed = []
    for plan in plans:
        if plan.site not in sites:
            sites[plan.site] = Site(code=f"{SITE_PREFIX}{plan.site:02d}", name=f"生成片区 {plan.site:02d}", timezone=plan.tz.key, created_at=opened)
            managers[plan.site] = Operator(username=f"gen-m{plan.site:02d}", display_name=f"片区经理 {plan.site:02d}", role=Role.MANAGER,
                                           password_hash=password, created_at=opened)
            db.add_all([sites[plan.site], managers[plan.site]])
        lot = Lot(site=sites[plan.site], code=plan.code, name=plan.name, address=f"{plan.name} 入口", created_at=opened,
                  settings={"zombie_days": 30})
        zone = Zone(lot=lot, code="main", name="地面停车场", capacity=plan.capacity)
        entries = [Lane(lot=lot, zone=zone, code=f"in-{n + 1}", name=f"{n + 1}号入口", direction=LaneDirection.ENTRY)
                   for n in range(plan.entry_lanes)]
        exits = [Lane(lot=lot, zone=zone, code=f"out-{n + 1}", name=f"{n + 1}号出口", direction=LaneDirection.EXIT)
                 for n in range(plan.exit_lanes)]
        doc = document(plan.tariff)
        tariff = Tariff(lot=lot, code=f"{plan.code}/{doc['id']}", version=1, name=doc["name"]["zh-CN"], document=doc, valid_from=opened)
        attendants = [Operator(username=f"gen{plan.index:03d}.{shift}", display_name=f"{SURNAMES[(plan.index * 2 + n) % len(SURNAMES)]}师傅",
                               role=Role.ATTENDANT, password_hash=password, created_at=opened) for n, shift in enumerate(("day", "night"))]
        db.add_all([lot, zone, *entries, *exits, tariff, *attendants])
        db.flush()
        merchant = Merchant(lot_id=lot.id, name=f"{plan.name}便利店", kinds={"amount": 1000}, created_at=opened)
        db.add(merchant)
        db.flush()
        placed.append(_LotIds(plan, lot.id, zone.id, [l.id for l in entries], [l.id for l in exits],
                              (attendants[0].id, attendants[1].id), 0, merchant.id))
    db.flush()
    for lot_ids in placed:
        lot_ids.manager_id = managers[lot_ids.plan.site].id
    return placed


def _shift_key(lot: _LotIds, moment: datetime) -> tuple[int, date, int]:
    local = moment.astimezone(lot.plan.tz)
    if 7 <= local.hour < 19:
        return lot.lot_id, local.date(), 0
    return lot.lot_id, local.date() if local.hour >= 19 else local.date() - timedelta(days=1), 1


def _write_shifts(db: Session, placed: Sequence[_LotIds], first: date, days: int, end: datetime, ids: _Ids,
                  result: Generated) -> tuple[dict[tuple[int, date, int], tuple[int, int]], list[int]]:
    """Two shifts a day for every lot, from the night before the first day: key → (shift id, operator id),
    and the ids of the shifts closed by ``end``."""
    rows, shifts, closed_ids = [], {}, []
    for lot in placed:
        for n in range(-1, days):
            day = first + timedelta(days=n)
            for part, hour in ((0, 7), (1, 19)):
                if n < 0 and part == 0:
                    continue
                opened = datetime.combine(day, time(hour), tzinfo=lot.plan.tz).astimezone(timezone.utc)
                closed = opened + timedelta(hours=12)
                shift_id, operator = ids.take("shift"), lot.attendants[part]
                open_now = closed > end
                rows.append((shift_id, f"s{shift_id:031d}", lot.lot_id, lot.exit_lanes[0], operator, "open" if open_now else "confirmed",
                             opened, FLOAT_FEN, None if open_now else closed, "", None if open_now else lot.manager_id,
                             None if open_now else closed + timedelta(minutes=30)))
                shifts[(lot.lot_id, day, part)] = (shift_id, operator)
                if not open_now:
                    closed_ids.append(shift_id)
    _insert(db, "shift", rows)
    result.rows["shift"] = len(rows)
    return shifts, closed_ids


def _stay_rows(stay: StayPlan, lot: _LotIds, shifts: dict[tuple[int, date, int], tuple[int, int]], ids: _Ids,
               rows: dict[str, list[tuple[Any, ...]]], cash_in: dict[int, int]) -> None:
    entry_lane, exit_lane = lot.entry_lanes[stay.entry_lane], lot.exit_lanes[stay.exit_lane]
    closed = stay.exit_at is not None
    rows["parking_session"].append((
        ids.take("parking_session"), stay.uid, lot.lot_id, lot.zone_id, stay.plate, stay.color, stay.vehicle_class,
        "closed" if closed else "open", entry_lane, stay.entry_at, "", "", exit_lane if closed else None, stay.exit_at, "", "",
        stay.fee_fen, stay.paid_fen, stay.discount_fen, stay.arrears_fen, stay.exit_at or stay.entry_at))
    if not closed:
        return
    assert stay.exit_at is not None
    shift_id, attendant = shifts.get(_shift_key(lot, stay.exit_at), (None, None))
    for n, (kind, fen, reason) in enumerate(stay.discounts):
        coupon_id = None
        if kind == "coupon":
            coupon_id = ids.take("coupon")
            rows["coupon"].append((coupon_id, f"c{coupon_id:019d}", lot.merchant_id, lot.lot_id, "amount", fen, stay.plate, "used",
                                   stay.entry_at, stay.entry_at + timedelta(days=1), stay.uid, stay.exit_at))
        by_attendant = kind == "free_release"
        rows["stay_adjustment"].append((ids.take("stay_adjustment"), f"a{stay.uid[1:]}{n}", lot.lot_id, stay.uid, kind, fen, reason,
                                        coupon_id, attendant if by_attendant else None, shift_id if by_attendant else None, exit_lane,
                                        stay.exit_at))
    for payment in stay.payments:
        cash = payment.method == "cash"
        if cash and shift_id is not None:
            cash_in[shift_id] += payment.amount_fen
        payment_id = ids.take("payment")
        refunded = payment.refund_fen == payment.amount_fen
        rows["payment"].append((
            payment_id, payment.uid, lot.lot_id, stay.uid, stay.plate, payment.amount_fen, payment.method, "refunded" if refunded else "paid",
            "stay", payment.scene, attendant if cash else None, shift_id if cash else None, exit_lane, "", "", "",
            _transaction(payment.method, payment_id), "", "", payment.refund_fen, 0, payment.paid_at - timedelta(seconds=15),
            payment.paid_at, payment.paid_at))
        if payment.refund_fen:
            refund_id = ids.take("refund")
            rows["refund"].append((refund_id, payment.refund_uid, payment_id, lot.lot_id, stay.uid, payment.refund_fen, "车主申诉，经理核实退款",
                                   "refunded", f"R{refund_id:020d}", lot.manager_id, payment.refunded_at, payment.refunded_at))
            rows["stay_adjustment"].append((ids.take("stay_adjustment"), payment.refund_uid, lot.lot_id, stay.uid, "refund", payment.refund_fen,
                                            "退款", None, lot.manager_id, None, None, payment.refunded_at))
    if stay.owed_fen:
        paid = stay.arrears_paid
        arrears_id = ids.take("arrears")
        rows["arrears"].append((arrears_id, f"d{stay.uid[1:]}", lot.lot_id, stay.plate, stay.uid, stay.owed_fen,
                                stay.owed_fen - stay.arrears_fen, "settled" if paid else "open", "未缴费离场", exit_lane, stay.exit_at,
                                paid.paid_at if paid else None))
        if paid is not None:  # paid back by phone: a payment of no stay, all of it towards the arrears
            payment_id = ids.take("payment")
            rows["payment"].append((
                payment_id, paid.uid, lot.lot_id, None, stay.plate, paid.amount_fen, paid.method, "paid", "arrears", paid.scene, None,
                None, None, "", "", "", _transaction(paid.method, payment_id), "", "", 0, paid.amount_fen, paid.paid_at - timedelta(seconds=30),
                paid.paid_at, paid.paid_at))
            rows["arrears_payment"].append((ids.take("arrears_payment"), arrears_id, payment_id, paid.amount_fen, paid.paid_at))


def _transaction(method: str, payment_id: int) -> str | None:
    if method == "wechat":
        return f"42000{payment_id:023d}"
    if method == "alipay":
        return f"2026{payment_id:024d}"
    return None


def _insert(db: Session, name: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    columns = COLUMNS[name]
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    table = Base.metadata.tables[name]
    for batch in _batches(rows, 5000):
        connection.execute(table.insert(), [dict(zip(columns, row)) for row in batch])


def _batches(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _finish(db: Session, closed_shifts: Sequence[int], cash: dict[int, int]) -> None:
    """Expected cash of each closed shift from its payments (one drawer in 37 counted 10 yuan short), and
    the id sequences past the ids given."""
    counted = [{"id": shift_id, "expected": FLOAT_FEN + cash.get(shift_id, 0),
                "counted": FLOAT_FEN + cash.get(shift_id, 0) - (1000 if shift_id % 37 == 0 else 0)} for shift_id in closed_shifts]
    for batch in _batches(counted, 5000):
        db.execute(text("UPDATE shift SET expected_cash_fen = :expected, counted_cash_fen = :counted WHERE id = :id"), batch)
    if db.get_bind().dialect.name == "postgresql":
        for name in ORDER:
            db.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"))
