"""The worker moves stream events into SQL once, acknowledges after commit, and resumes after a crash."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from parking import db as dbmod
from parking.models import LotEvent, ParkingSession, SessionStatus
from parking.occupancy import RECORDER_GROUP, LotKeys
from parking.occupancy.recorder import Recorder

from ...conftest import FIXED_NOW


def count(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_entries_and_exits_become_sessions(runtime, village):
    lot, zone = village.community_lot_id, village.outer_zone_id
    runtime.store.admit(lot, zone, "粤B12345", FIXED_NOW, lane_id=village.lane("east-in").id)
    runtime.store.release(lot, "粤B12345", FIXED_NOW + timedelta(minutes=30), lane_id=village.lane("east-out").id)
    recorder = Recorder(runtime.redis, runtime.sessions, [lot])
    assert recorder.drain() == 2
    with runtime.sessions() as db:
        session = db.scalar(select(ParkingSession))
    assert (session.status, session.entry_at, session.exit_at) == (SessionStatus.CLOSED, FIXED_NOW, FIXED_NOW + timedelta(minutes=30))
    assert runtime.redis.xpending(LotKeys(lot).events, RECORDER_GROUP)["pending"] == 0


def test_an_event_delivered_twice_is_recorded_once(runtime, village):
    lot = village.community_lot_id
    runtime.store.admit(lot, village.outer_zone_id, "粤B12345", FIXED_NOW, lane_id=village.lane("east-in").id)
    Recorder(runtime.redis, runtime.sessions, [lot], consumer="a").drain()
    recorded = count(runtime, LotEvent)
    # A second group member replaying the whole stream (as after a lost acknowledgement) changes nothing.
    runtime.redis.xgroup_setid(LotKeys(lot).events, RECORDER_GROUP, id="0")
    replay = Recorder(runtime.redis, runtime.sessions, [lot], consumer="b")
    handled = replay.drain()
    assert handled == runtime.redis.xlen(LotKeys(lot).events)
    assert (replay.stats.recorded, replay.stats.already_recorded) == (0, handled)
    assert (count(runtime, ParkingSession), count(runtime, LotEvent)) == (1, recorded)


def test_a_recorder_that_died_before_acknowledging_is_resumed_from_its_pending_entries(runtime, village):
    lot = village.community_lot_id
    for plate in ("粤B00001", "粤B00002"):
        runtime.store.admit(lot, village.outer_zone_id, plate, FIXED_NOW, lane_id=village.lane("east-in").id)
    Recorder(runtime.redis, runtime.sessions, [lot], consumer="crashing")  # creates the group
    # It read both entries and died before writing anything: they are pending for it, in no SQL row.
    runtime.redis.xreadgroup(RECORDER_GROUP, "crashing", {LotKeys(lot).events: ">"})
    assert runtime.redis.xpending(LotKeys(lot).events, RECORDER_GROUP)["pending"] == 2
    restarted = Recorder(runtime.redis, runtime.sessions, [lot], consumer="crashing")
    assert restarted.drain() == 2
    assert count(runtime, ParkingSession) == 2
    assert runtime.redis.xpending(LotKeys(lot).events, RECORDER_GROUP)["pending"] == 0


def test_an_exit_whose_entry_never_reached_sql_still_keeps_the_stay(runtime, village):
    lot = village.community_lot_id
    runtime.store.admit(lot, village.outer_zone_id, "粤B12345", FIXED_NOW, lane_id=village.lane("east-in").id)
    first_id = runtime.redis.xrange(LotKeys(lot).events)[0][0]
    runtime.store.release(lot, "粤B12345", FIXED_NOW + timedelta(hours=1), lane_id=village.lane("east-out").id)
    runtime.redis.xdel(LotKeys(lot).events, first_id)
    Recorder(runtime.redis, runtime.sessions, [lot]).drain()
    with runtime.sessions() as db:
        session = db.scalar(select(ParkingSession))
    assert (session.plate, session.status, session.entry_at) == ("粤B12345", SessionStatus.CLOSED, FIXED_NOW)


def test_each_event_keeps_the_lane_it_happened_at(runtime, village):
    lot = village.community_lot_id
    east_in, east_out = village.lane("east-in").id, village.lane("east-out").id
    runtime.store.admit(lot, village.outer_zone_id, "粤B12345", FIXED_NOW, lane_id=east_in)
    runtime.store.release(lot, "粤B12345", FIXED_NOW + timedelta(minutes=5), lane_id=east_out)
    runtime.store.journal(lot, "read_rejected", FIXED_NOW, data={"lane": east_in, "raw": "XX"})
    Recorder(runtime.redis, runtime.sessions, [lot]).drain()
    with runtime.sessions() as db:
        rows = db.execute(select(LotEvent.kind, LotEvent.lane_id).where(LotEvent.kind != "capacity_set").order_by(LotEvent.id)).all()
    assert [tuple(r) for r in rows] == [("entered", east_in), ("exited", east_out), ("read_rejected", east_in)]


def test_a_worker_follows_a_lot_added_after_it_started(runtime, village):
    from parking.models import Lot
    from parking.worker import Worker

    worker = Worker(runtime)
    with dbmod.transaction(runtime.sessions) as db:
        lot = Lot(site_id=village.site_id, code="new-lot", name="新停车场", settings={})
        db.add(lot)
        db.flush()
        new_lot = lot.id
    runtime.store.journal(new_lot, "read_rejected", FIXED_NOW, data={"raw": "XX"})
    assert worker.follow_new_lots() == [new_lot]
    assert worker.drain() == 1
    with runtime.sessions() as db:
        assert db.scalar(select(LotEvent.kind).where(LotEvent.lot_id == new_lot)) == "read_rejected"
