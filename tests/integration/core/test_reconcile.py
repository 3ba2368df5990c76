"""Reconcile repairs Redis from SQL, keeps stays only Redis knew, and rebuilds everything after FLUSHALL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from parking.models import ParkingSession, SessionStatus
from parking.occupancy import LotKeys
from parking.services.reconcile import reconcile
from parking.services.zombies import find_zombies
from parking.worker import Worker

from ...conftest import FIXED_NOW


def live_state(store, lot_id):  # type: ignore[no-untyped-def]
    present, _, passes = store.counts(lot_id)
    sessions = {p: (s["uid"], s["zone"], s.get("pool"), s.get("pass")) for p, s in store.open_sessions(lot_id).items()}
    return present, passes, sessions


def test_after_flushall_the_live_state_is_rebuilt_completely(runtime, village, site):
    lot = village.community_lot_id
    assert site.read("east-in", "粤B12345").open_gate   # temporary, pool temporary
    assert site.read("east-in", "粤B3M001").open_gate   # monthly pass, pool pass
    assert site.read("east-in", "粤B8E101").open_gate   # enterprise pass (2 spaces)
    assert site.read("east-in", "粤B5P002").open_gate   # owner of an inner space
    assert site.read("inner-in", "粤B5P002").open_gate  # moved into the inner zone
    before = live_state(runtime.store, lot)
    Worker(runtime).drain()

    runtime.redis.flushdb()  # all this instance has in Redis; FLUSHALL would empty other test processes' databases too
    corrections = reconcile(runtime.sessions, runtime.store, site.clock())

    assert sorted((c.kind, c.subject) for c in corrections if c.lot_id == lot and c.kind == "restored_session") == [
        ("restored_session", "粤B12345"), ("restored_session", "粤B3M001"), ("restored_session", "粤B5P002"), ("restored_session", "粤B8E101"),
    ]
    assert live_state(runtime.store, lot) == before
    assert runtime.store.occupancy(lot) == {village.outer_zone_id: (3, 40), village.inner_zone_id: (1, 12)}
    # The lanes work on the rebuilt state: the monthly car leaves free, its pass count drops.
    site.clock.advance(hours=3)
    assert site.read("east-out", "粤B3M001").open_gate
    assert runtime.store.occupancy(lot)[village.outer_zone_id] == (2, 40)


def test_a_wrong_count_is_corrected_and_reported(runtime, village, site):
    lot = village.community_lot_id
    site.read("east-in", "粤B12345")
    Worker(runtime).drain()
    runtime.redis.hset(LotKeys(lot).occupancy, str(village.outer_zone_id), 7)
    corrections = reconcile(runtime.sessions, runtime.store, site.clock())
    assert [str(c) for c in corrections] == [f"lot {lot}: count zone {village.outer_zone_id}: 7 -> 1"]
    assert runtime.store.occupancy(lot)[village.outer_zone_id] == (1, 40)
    assert reconcile(runtime.sessions, runtime.store, site.clock()) == []


def test_a_stay_only_redis_knows_is_written_to_sql(runtime, village, site):
    lot = village.community_lot_id
    site.read("east-in", "粤B12345")
    runtime.redis.delete(LotKeys(lot).events)  # its entry event is lost before the worker saw it
    corrections = reconcile(runtime.sessions, runtime.store, site.clock())
    assert [(c.kind, c.subject) for c in corrections] == [("recorded_session", "粤B12345")]
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession))
    assert (row.plate, row.status, row.entry_at, row.pool) == ("粤B12345", SessionStatus.OPEN, FIXED_NOW, "temporary")


def test_a_dry_run_reports_without_repairing(runtime, village, site):
    lot = village.community_lot_id
    site.read("east-in", "粤B12345")
    Worker(runtime).drain()
    runtime.redis.hset(LotKeys(lot).occupancy, str(village.outer_zone_id), 0)
    assert len(reconcile(runtime.sessions, runtime.store, site.clock(), apply=False)) == 1
    assert runtime.store.occupancy(lot)[village.outer_zone_id] == (0, 40)


def test_zombies_are_the_stays_older_than_the_lot_threshold(runtime, village, site):
    site.read("east-in", "粤B12345")
    site.clock.advance(days=25)
    site.read("east-in", "粤B22222")
    Worker(runtime).drain()
    with runtime.sessions() as db:
        at_31_days = find_zombies(db, FIXED_NOW + timedelta(days=31))
        at_10_days_threshold = find_zombies(db, FIXED_NOW + timedelta(days=31), days=5)
    assert [(z.plate, z.days, z.entry_at.isoformat()) for z in at_31_days] == [("粤B12345", 31, "2026-11-25T17:30:00+08:00")]
    assert [z.plate for z in at_10_days_threshold] == ["粤B12345", "粤B22222"]
