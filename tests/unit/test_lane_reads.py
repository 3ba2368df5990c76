"""The lane decision service against an in-memory live store (``tests.fakes``): no Redis needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from drivers.interfaces import PlateRead
from parking.context import LaneRef, LotContext
from parking.policy import LotPolicy
from parking.services.lane_reads import handle_read
from parking.tariffs.examples import load_example
from tests.fakes import FakeLiveStore

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
LOT = LotContext(id=1, name="和谐里", tz=ZoneInfo("Asia/Shanghai"), policy=LotPolicy(),
                 tariff=load_example("13-old-community-visitor"), opened_at=NOW - timedelta(days=365))
ENTRY = LaneRef(id=1, code="in", name="入口", lot_id=1, zone_id=10, direction="entry", camera_serial="SN-IN", lot=LOT)
EXIT = LaneRef(id=2, code="out", name="出口", lot_id=1, zone_id=10, direction="exit", camera_serial="SN-OUT", lot=LOT)


def read(plate: str, lane: LaneRef = ENTRY, *, n: int = 1, **fields: object) -> PlateRead:
    base = PlateRead(device=lane.camera_serial, license=plate, color="blue", confidence=96, at=None, event_id=str(n))
    return replace(base, **fields)


@pytest.fixture
def store() -> FakeLiveStore:
    return FakeLiveStore({1: {10: 2}})


def kinds(store: FakeLiveStore) -> list[str]:
    return [kind for _, kind, _, _ in store.events]


def test_a_car_enters_once_and_is_inside(store):
    first = handle_read(store, ENTRY, read("粤B12345"), NOW)
    again = handle_read(store, ENTRY, read("粤B12345", n=2), NOW + timedelta(minutes=1))
    assert (first.outcome, first.open_gate, again.outcome, again.open_gate) == ("admitted", True, "already_inside", False)
    assert store.open_plates(1) == ["粤B12345"]


def test_a_full_zone_refuses_a_temporary_car(store):
    handle_read(store, ENTRY, read("粤B11111"), NOW)
    handle_read(store, ENTRY, read("粤B22222", n=2), NOW)
    third = handle_read(store, ENTRY, read("粤B33333", n=3), NOW)
    assert (third.outcome, third.lines) == ("full", ("粤B33333", "车位已满"))


def test_a_plate_the_camera_flags_as_fake_is_held_for_staff(store):
    decision = handle_read(store, ENTRY, read("粤B12345", fake=True), NOW)
    assert (decision.outcome, decision.open_gate, decision.detail["reason"]) == ("held", False, "fake_plate")
    assert kinds(store) == ["read_held"] and store.open_plates(1) == []


@pytest.mark.parametrize("confidence", [0, 49])
def test_a_read_below_the_lots_confidence_threshold_is_held(store, confidence):
    decision = handle_read(store, ENTRY, read("粤B12345", confidence=confidence), NOW)
    assert (decision.outcome, decision.detail["reason"], decision.detail["threshold"]) == ("held", "low_confidence", 50)
    assert store.open_plates(1) == []


@pytest.mark.parametrize(("stamp", "reason"), [
    (datetime(2100, 1, 1, tzinfo=timezone.utc), "clock_future"),
    (datetime(1970, 1, 2, tzinfo=timezone.utc), "clock_before_lot"),
    (NOW - timedelta(days=31), "clock_too_old"),
])
def test_an_offline_record_with_an_untrustworthy_camera_clock_is_held_with_both_times(store, stamp, reason):
    decision = handle_read(store, ENTRY, read("粤B12345", offline=True, at=stamp), NOW)
    assert (decision.outcome, decision.open_gate, decision.detail["reason"]) == ("held", False, reason)
    [(_, kind, plate, data)] = store.events
    assert (kind, plate, data["camera_time"], data["received_at"]) == ("read_held", "粤B12345", stamp.isoformat(), NOW.isoformat())
    assert store.open_plates(1) == []


def test_an_offline_record_within_the_allowed_skew_is_decided_at_the_cameras_time(store):
    decision = handle_read(store, ENTRY, read("粤B12345", offline=True, at=NOW + timedelta(seconds=299)), NOW)
    assert decision.outcome == "admitted"
    assert store.sessions[1]["粤B12345"]["entry_at"] == (NOW + timedelta(seconds=299)).isoformat()


def test_the_fee_is_asked_at_the_exit(store):
    handle_read(store, ENTRY, read("粤B12345"), NOW)
    decision = handle_read(store, EXIT, read("粤B12345", EXIT), NOW + timedelta(minutes=90))
    assert (decision.outcome, decision.open_gate, decision.lines[-1]) == ("fee_due", False, "请缴费5元")


def test_an_exit_stamped_before_its_entry_is_held_not_an_error(store):
    handle_read(store, ENTRY, read("粤B12345"), NOW)
    decision = handle_read(store, EXIT, read("粤B12345", EXIT, offline=True, at=NOW - timedelta(hours=1)), NOW + timedelta(hours=1))
    assert (decision.outcome, decision.detail["reason"]) == ("held", "exit_before_entry")
    assert store.open_plates(1) == ["粤B12345"]


def test_a_fee_above_the_lots_limit_needs_a_person(store):
    lot = replace(LOT, policy=LotPolicy(max_fee_fen=10_000))
    entry, exit_lane = replace(ENTRY, lot=lot), replace(EXIT, lot=lot)
    handle_read(store, entry, read("粤B12345"), NOW)
    decision = handle_read(store, exit_lane, read("粤B12345", EXIT), NOW + timedelta(days=6))
    assert (decision.outcome, decision.detail["reason"], decision.detail["due_fen"]) == ("held", "fee_needs_confirmation", 12_000)
    assert store.open_plates(1) == ["粤B12345"]


def test_an_impossible_plate_is_rejected_and_its_text_kept_short(store):
    decision = handle_read(store, ENTRY, read("粤" + "B" * 100_000), NOW)
    assert decision.outcome == "rejected_read"
    [(_, kind, _, data)] = store.events
    assert (kind, len(data["raw"])) == ("read_rejected", 32)
