"""Revenue by day, kept: the revenue report's grouped rows of each lot's past days, summed once on
PostgreSQL, so a report over months or a year reads a few thousand rows instead of adding millions up.

Exact, not a cache that may be stale:

- ``sum_days`` (run by the worker, and by ``parking generate`` at its end) writes the rows
  (``parking.services.revenue_rows``) of every day that is over in its lot's time zone and not summed
  yet, or summed but changed since, into ``revenue_day``, and notes each day in ``revenue_day_summed``
  with the zone it was summed in. It reads the ledger in one REPEATABLE READ snapshot.
- Every statement that changes a stay or money of a lot (insert, update, delete of ``parking_session``,
  ``payment``, ``refund``, ``stay_adjustment``, ``arrears``) notes the UTC hours of the moments it
  touched in ``revenue_change``, by a database trigger, in its own transaction (migration 0007); the
  lot's time zone says which local day (or two) a noted hour falls on. Today's traffic touches today only.
- ``summed_days`` says which days of a report may be read: summed for every lot asked, in the lot's time
  zone today, and with no change noted around them. The others are added up from the ledger as before.
  ``sum_days`` turns the notes it sees into days to sum again (it drops their marks in
  ``revenue_day_summed``, and the notes, in its snapshot: a note written meanwhile stays for the next round).

SQLite has no triggers here: its reports are always added up from the ledger (a site small enough for
SQLite has few rows). ``MAX_DAYS_PER_ROUND`` keeps a worker round short on a database that has a long
past to sum; ``parking generate`` sums everything at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, tuple_
from sqlalchemy.orm import Session, selectinload

from ..models import Lot, RevenueChange, RevenueDay, RevenueDaySummed
from .report_days import period_bounds, segments
from .revenue_rows import Grouped, grouped_rows

if TYPE_CHECKING:
    from .revenue import RevenueReport

MAX_DAYS_PER_ROUND = 31
HOUR = timedelta(hours=1)


def _local_days(hour: datetime, tz: str) -> set[date]:
    """The days of ``tz`` that a noted UTC hour falls on (two when the zone's offset has minutes)."""
    zone = ZoneInfo(tz)
    return {hour.astimezone(zone).date(), (hour + HOUR - timedelta(microseconds=1)).astimezone(zone).date()}


def enabled(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def summed_days(db: Session, lot_ids: list[int], first: date, last: date, tz: str) -> set[date]:
    """The days ``first`` to ``last`` that every lot of ``lot_ids`` (all in ``tz``) has summed and unchanged."""
    if not enabled(db) or not lot_ids:
        return set()
    counts: dict[date, int] = dict(db.execute(
        select(RevenueDaySummed.day, func.count()).where(
            RevenueDaySummed.lot_id.in_(lot_ids), RevenueDaySummed.day >= first, RevenueDaySummed.day <= last,
            RevenueDaySummed.tz == tz).group_by(RevenueDaySummed.day)).all())
    start, end = period_bounds(first, last, ZoneInfo(tz))
    changed = {day for hour in db.scalars(select(RevenueChange.hour).distinct().where(
        RevenueChange.lot_id.in_(lot_ids), RevenueChange.hour >= start - HOUR, RevenueChange.hour < end))
        for day in _local_days(hour, tz)}
    return {day for day, count in counts.items() if count == len(lot_ids) and day not in changed}


def add_summed(db: Session, report: "RevenueReport", lot_ids: list[int], first: date, last: date) -> None:
    """Add the kept rows of the lots' days ``first`` to ``last`` to ``report``, summed over each breakdown
    by the database (GROUPING SETS: by day and code, lot, lane, operator)."""
    r = RevenueDay
    grouping = func.grouping(r.day, r.lot_id, r.lane_id, r.operator_id)
    sets = func.grouping_sets(tuple_(r.source, r.code, r.day), tuple_(r.source, r.code, r.lot_id), tuple_(r.source, r.code, r.lane_id),
                              tuple_(r.source, r.code, r.operator_id))
    query = (select(r.source, r.code, r.day, r.lot_id, r.lane_id, r.operator_id, grouping, func.sum(r.amount_fen),
                    func.sum(r.part_fen), func.sum(r.count))
             .where(r.lot_id.in_(lot_ids), r.day >= first, r.day <= last).group_by(sets))
    for source, code, day, lot_id, lane_id, operator_id, grouped, amount, part, count in db.execute(query):
        row = Grouped(source, lot_id or 0, day or first, lane_id, operator_id, code, int(amount or 0), int(part or 0), int(count or 0))
        # GROUPING(day, lot_id, lane_id, operator_id): a bit set for each column left out of the set
        part_name, key = {0b0111: ("day", day), 0b1011: ("lot", lot_id), 0b1101: ("lane", lane_id), 0b1110: ("operator", operator_id)}[grouped]
        report.add_to(part_name, key, row)


def sum_days(db: Session, now: datetime, *, default_tz: str = "Asia/Shanghai", max_days: int | None = MAX_DAYS_PER_ROUND) -> int:
    """Sum every lot's days that are over and not summed, or changed since; returns how many lot-days were
    summed. At most ``max_days`` distinct days a call (None: every one). Commits."""
    if not enabled(db):
        return 0
    db.commit()
    db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        done = _sum(db, now, default_tz, max_days)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return done


def _sum(db: Session, now: datetime, default_tz: str, max_days: int | None) -> int:
    lots = list(db.scalars(select(Lot).options(selectinload(Lot.site)).order_by(Lot.id)))
    zones = {lot.id: lot.timezone or lot.site.timezone or default_tz for lot in lots}
    spans = {lot.id: (lot.created_at.astimezone(ZoneInfo(zones[lot.id])).date() - timedelta(days=1),  # the day before it opened
                      now.astimezone(ZoneInfo(zones[lot.id])).date() - timedelta(days=1)) for lot in lots}
    # The notes seen become days to sum again: their summed marks go, and so do they (both in this snapshot).
    changes = db.execute(select(RevenueChange.id, RevenueChange.lot_id, RevenueChange.hour)).all()
    stale = sorted({(lot_id, day) for _id, lot_id, hour in changes if lot_id in zones for day in _local_days(hour, zones[lot_id])})
    for start in range(0, len(stale), 2000):
        db.execute(delete(RevenueDaySummed).where(tuple_(RevenueDaySummed.lot_id, RevenueDaySummed.day).in_(stale[start:start + 2000])))
    seen = [change_id for change_id, _lot, _day in changes]
    for start in range(0, len(seen), 5000):
        db.execute(delete(RevenueChange).where(RevenueChange.id.in_(seen[start:start + 5000])))
    summed = {(lot_id, day): tz for lot_id, day, tz in db.execute(select(RevenueDaySummed.lot_id, RevenueDaySummed.day, RevenueDaySummed.tz))}
    wanted: dict[tuple[str, date], set[int]] = defaultdict(set)  # (zone, day) → lots
    for lot_id, (day, yesterday) in spans.items():
        while day <= yesterday:
            if summed.get((lot_id, day)) != zones[lot_id]:
                wanted[(zones[lot_id], day)].add(lot_id)
            day += timedelta(days=1)
    chosen = sorted(wanted, key=lambda key: (key[1], key[0]))
    if max_days is not None:
        chosen = chosen[:max_days]
    done = 0
    for tz in sorted({tz for tz, _day in chosen}):
        done += _sum_zone(db, tz, {day: wanted[(zone, day)] for zone, day in chosen if zone == tz}, now)
    return done


def _sum_zone(db: Session, tz: str, chosen: dict[date, set[int]], now: datetime) -> int:
    """Sum the days ``chosen`` (day → the lots wanting it) of lots in ``tz``: runs of days added up at once."""
    from .revenue import runs

    pairs = [(lot_id, day) for day, lot_ids in chosen.items() for lot_id in lot_ids]
    rows: list[dict[str, Any]] = []
    for start, end in runs(min(chosen), max(chosen), include=set(chosen)):
        lot_ids = sorted(set().union(*(chosen[day] for day in chosen if start <= day <= end)))
        for segment in segments(start, end, ZoneInfo(tz), "postgresql"):
            for row in grouped_rows(db, segment, lot_ids):
                if row.lot_id in chosen.get(row.day, ()):
                    rows.append({"lot_id": row.lot_id, "day": row.day, "source": row.source, "lane_id": row.lane_id,
                                 "operator_id": row.operator_id, "code": row.code, "amount_fen": row.amount_fen,
                                 "part_fen": row.part_fen, "count": row.count})
    for start in range(0, len(pairs), 2000):
        batch = pairs[start:start + 2000]
        db.execute(delete(RevenueDay).where(tuple_(RevenueDay.lot_id, RevenueDay.day).in_(batch)))
        db.execute(delete(RevenueDaySummed).where(tuple_(RevenueDaySummed.lot_id, RevenueDaySummed.day).in_(batch)))
    for start in range(0, len(rows), 5000):
        db.execute(insert(RevenueDay), rows[start:start + 5000])
    for start in range(0, len(pairs), 5000):
        db.execute(insert(RevenueDaySummed), [{"lot_id": lot_id, "day": day, "tz": tz, "summed_at": now}
                                              for lot_id, day in pairs[start:start + 5000]])
    return len(pairs)


__all__ = ["MAX_DAYS_PER_ROUND", "add_summed", "enabled", "sum_days", "summed_days"]
