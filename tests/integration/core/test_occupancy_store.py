"""The Lua scripts of the live store against a real Redis: counts, refusals, duplicates, the journal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis

from parking.occupancy import CapacityError, LotKeys, OccupancyStore

from ...conftest import FIXED_NOW

LOT, ZONE, LANE_IN, LANE_OUT = 7, 70, 1, 2


@pytest.fixture
def store(redis_client: redis.Redis) -> OccupancyStore:
    s = OccupancyStore(redis_client, dedupe_seconds=10)
    s.set_capacities(LOT, {ZONE: 2})
    return s


def journal(store: OccupancyStore) -> list[tuple[str, str]]:
    """The vehicle events of the lot's journal (capacity changes left out)."""
    entries = [(f[b"kind"].decode(), f[b"plate"].decode()) for _, f in store.redis.xrange(LotKeys(LOT).events)]
    return [e for e in entries if e[0] != "capacity_set"]


def test_keys_of_a_lot_share_one_cluster_hash_tag():
    keys = LotKeys(12)
    assert {k.split("}")[0] + "}" for k in (keys.occupancy, keys.capacity, keys.open_sessions, keys.events, keys.read_dedupe("SN", "1"), keys.lane_dedupe(3, "粤B12345"))} == {"{lot:12}"}


def test_admit_claims_a_space_and_journals_the_entry(store):
    result = store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    assert result.outcome == "admitted"
    assert (result.detail["present"], result.detail["capacity"]) == (1, 2)
    assert store.occupancy(LOT) == {ZONE: (1, 2)}
    assert store.open_session(LOT, "粤B12345")["entry_at"] == "2026-11-25T09:30:00+00:00"
    assert journal(store) == [("entered", "粤B12345")]


def test_admit_refuses_at_capacity_and_never_exceeds_it(store):
    outcomes = [store.admit(LOT, ZONE, plate, FIXED_NOW, lane_id=LANE_IN).outcome for plate in ("粤B00001", "粤B00002", "粤B00003")]
    assert outcomes == ["admitted", "admitted", "full"]
    assert store.occupancy(LOT) == {ZONE: (2, 2)}
    assert journal(store)[-1] == ("entry_refused", "粤B00003")


def test_admit_refuses_a_vehicle_already_inside(store):
    store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    second = store.admit(LOT, ZONE, "粤B12345", FIXED_NOW + timedelta(minutes=5), lane_id=LANE_IN + 10)
    assert second.outcome == "already_inside"
    assert store.occupancy(LOT) == {ZONE: (1, 2)}


def test_a_repeated_camera_read_returns_the_first_answer(store):
    first = store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN, camera_serial="SN1", read_id="41")
    again = store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN, camera_serial="SN1", read_id="41")
    assert (first.outcome, again.outcome, again.effective) == ("admitted", "duplicate", "admitted")
    assert journal(store) == [("entered", "粤B12345")]


def test_reads_of_one_plate_at_one_lane_within_the_window_are_one_event(store):
    store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN, camera_serial="SN1", read_id="41")
    again = store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN, camera_serial="SN1", read_id="42")
    assert again.effective == "admitted"
    assert store.redis.ttl(LotKeys(LOT).lane_dedupe(LANE_IN, "粤B12345")) == 10


def test_release_frees_the_space_and_journals_the_exit(store):
    store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    result = store.release(LOT, "粤B12345", FIXED_NOW + timedelta(hours=2), lane_id=LANE_OUT)
    assert result.outcome == "released"
    assert result.detail["session"]["plate"] == "粤B12345"
    assert store.occupancy(LOT) == {ZONE: (0, 2)}
    assert store.open_plates(LOT) == []
    assert journal(store) == [("entered", "粤B12345"), ("exited", "粤B12345")]


def test_release_without_a_session_is_journaled_unless_probing(store):
    assert store.release(LOT, "粤B99999", FIXED_NOW, lane_id=LANE_OUT, probe=True).outcome == "no_session"
    assert journal(store) == []
    assert store.release(LOT, "粤B99999", FIXED_NOW, lane_id=LANE_OUT).outcome == "no_session"
    assert journal(store) == [("exit_unmatched", "粤B99999")]
    assert store.occupancy(LOT) == {ZONE: (0, 2)}


def test_admit_into_a_zone_without_capacity_is_an_error_naming_the_zone(store):
    with pytest.raises(redis.ResponseError, match="unknown zone 999"):
        store.admit(LOT, 999, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    assert store.open_plates(LOT) == []


def test_negative_capacity_is_refused(store):
    with pytest.raises(CapacityError, match="zone 70: capacity -1 is negative"):
        store.set_capacities(LOT, {ZONE: -1})


def test_each_event_carries_a_unique_id_and_its_payload(store):
    store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    store.release(LOT, "粤B12345", FIXED_NOW, lane_id=LANE_OUT)
    entries = store.redis.xrange(LotKeys(LOT).events)
    uids = {f[b"uid"] for _, f in entries}
    assert len(uids) == 3  # the capacity set by the fixture, the entry, the exit
    assert json.loads(entries[2][1][b"data"])["exit"]["lane"] == LANE_OUT


def test_scripts_survive_a_script_flush(store):
    store.redis.script_flush()
    assert store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN).outcome == "admitted"


def test_capacity_below_the_vehicles_present_is_refused_and_nothing_changes(store):
    store.admit(LOT, ZONE, "粤B00001", FIXED_NOW, lane_id=LANE_IN)
    store.admit(LOT, ZONE, "粤B00002", FIXED_NOW, lane_id=LANE_IN)
    with pytest.raises(CapacityError, match="zone 70: capacity 1 is below the 2 vehicles present"):
        store.set_capacities(LOT, {ZONE: 1})
    assert store.occupancy(LOT) == {ZONE: (2, 2)}
    store.set_capacities(LOT, {ZONE: 5}, now=FIXED_NOW)
    kinds = [f[b"kind"] for _, f in store.redis.xrange(LotKeys(LOT).events)]
    assert kinds.count(b"capacity_set") == 2


def test_a_payment_retried_with_its_uid_is_counted_once(store):
    store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    first = store.pay(LOT, "粤B12345", 500, FIXED_NOW, method="qr", payment_uid="wx-20261125-0001")
    again = store.pay(LOT, "粤B12345", 500, FIXED_NOW, method="qr", payment_uid="wx-20261125-0001")
    other = store.pay(LOT, "粤B12345", 200, FIXED_NOW, method="cash")
    assert (first.outcome, again.outcome, other.outcome) == ("paid", "duplicate", "paid")
    assert store.open_session(LOT, "粤B12345")["paid_fen"] == 700
    assert [k for k, _ in journal(store)] == ["entered", "paid", "paid"]


def test_a_payment_must_be_a_positive_whole_number_of_fen(store):
    store.admit(LOT, ZONE, "粤B12345", FIXED_NOW, lane_id=LANE_IN)
    for amount in (0, -5, 5.0, True):
        with pytest.raises(ValueError, match="expected a positive whole number of fen"):
            store.pay(LOT, "粤B12345", amount, FIXED_NOW, method="cash")


def test_lane_commands_are_heard_only_on_the_same_redis_database(redis_url):
    import redis as redis_lib

    from parking.occupancy.commands import CommandChannel

    here = redis_lib.Redis.from_url(redis_url)
    other_db = 0 if int(here.connection_pool.connection_kwargs.get("db") or 0) else 1
    pool = here.connection_pool
    there = redis_lib.Redis(connection_pool=redis_lib.ConnectionPool(connection_class=pool.connection_class,
                                                                      **{**pool.connection_kwargs, "db": other_db}))
    lot = 990_007  # a lot no other test's agent serves
    listening = CommandChannel(there).subscribe([lot])
    try:
        listening.next(0.1)  # subscribed
        assert CommandChannel(here).publish(lot, "open") == 0  # the other installation hears nothing
        assert CommandChannel(there).publish(lot, "open") == 1
        assert listening.next(1.0) == b"open"
    finally:
        listening.close()
        here.close()
        there.close()
