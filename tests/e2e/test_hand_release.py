"""Opening an exit by hand settles the fee: cash taken, free with a reason, or left unpaid; the stay ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parking.models import AuditEvent, Lane, Operator, ParkingSession, SessionStatus, StayAdjustment
from parking.occupancy.recorder import Recorder
from parking.services import shifts
from parking.services.hand_release import HandReleaseError, release_by_hand
from simulators.camera import CometPoller

from .running_lanes import agent, camera  # noqa: F401  (agent: the fixture)


def held_car(agent, clock):  # type: ignore[no-untyped-def]
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345").open_gate
    clock.advance(hours=3)


def attendant(runtime):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(Operator.id).where(Operator.username == "attendant"))


def stay(runtime, village):  # type: ignore[no-untyped-def]
    Recorder(runtime.redis, runtime.sessions, [village.community_lot_id]).drain()
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession).where(ParkingSession.plate == "粤B12345"))
        return row.status, row.fee_fen, row.paid_fen, row.discount_fen, row.arrears_fen


def test_cash_taken_by_hand_opens_once_and_closes_the_stay(runtime, village, agent, clock):
    lot = agent.lanes.lots()[village.community_lot_id]
    held_car(agent, clock)
    who = attendant(runtime)
    out = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert out.push_plate("粤B12345").open_gate is False  # pushed before the comet poller shares the camera's connection
    with CometPoller(out):
        with runtime.sessions() as db:
            shifts.open_shift(db, operator_id=who, lot_id=lot.id, at=clock())
            lane = db.scalar(select(Lane).where(Lane.code == "east-out"))
            done = release_by_hand(db, runtime.store, lot, lane, outcome="cash", given_fen=5000, operator_id=who, now=clock())
        assert (done.due_fen, done.change_fen, done.command.outcome) == (1000, 4000, "delivered")
    assert sum(r.open_gate for r in out.log.responses) == 1
    assert stay(runtime, village) == (SessionStatus.CLOSED, 1000, 1000, 0, 0)


def test_a_free_release_needs_a_listed_reason_and_is_a_discount(runtime, village, agent, clock):
    lot = agent.lanes.lots()[village.community_lot_id]
    held_car(agent, clock)
    who = attendant(runtime)
    out = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert out.push_plate("粤B12345").open_gate is False  # pushed before the comet poller shares the camera's connection
    with CometPoller(out):
        with runtime.sessions() as db:
            lane = db.scalar(select(Lane).where(Lane.code == "east-out"))
            with pytest.raises(HandReleaseError, match="reason: choose a reason from the list"):
                release_by_hand(db, runtime.store, lot, lane, outcome="free", reason="朋友", operator_id=who, now=clock())
            done = release_by_hand(db, runtime.store, lot, lane, outcome="free", reason="设备故障", operator_id=who, now=clock())
            assert done.command.outcome == "delivered"
            assert db.scalar(select(StayAdjustment.amount_fen)) == 1000
            assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "lane.open"))["reason"] == "免费放行：设备故障"
    assert stay(runtime, village) == (SessionStatus.CLOSED, 1000, 0, 1000, 0)


def test_cash_needs_an_open_shift(runtime, village, agent, clock):
    lot = agent.lanes.lots()[village.community_lot_id]
    held_car(agent, clock)
    assert camera(agent, "VZ-HX-EAST-OUT", clock).push_plate("粤B12345").open_gate is False
    with runtime.sessions() as db:
        lane = db.scalar(select(Lane).where(Lane.code == "east-out"))
        with pytest.raises(HandReleaseError, match=r"shift: cash is taken only in an open shift \(开班 first\)"):
            release_by_hand(db, runtime.store, lot, lane, outcome="cash", given_fen=1000, operator_id=attendant(runtime), now=clock())
    assert runtime.store.open_session(lot.id, "粤B12345") is not None


def test_leaving_unpaid_again_owes_the_new_stay_only_beside_the_old_arrears(runtime, village, agent, clock):
    from parking.models import Arrears

    lot = agent.lanes.lots()[village.community_lot_id]
    who = attendant(runtime)
    out = camera(agent, "VZ-HX-EAST-OUT", clock)  # one camera, so each exit read has its own id
    asked = []
    # Two entry lanes: the same plate read again at one lane within the dedupe window would be one read.
    for entry in (camera(agent, "VZ-HX-EAST-IN", clock), camera(agent, "VZ-HX-NORTH-IN", clock)):
        assert entry.push_plate("粤B12345").open_gate
        clock.advance(hours=3)
        assert out.push_plate("粤B12345").open_gate is False
        with CometPoller(out), runtime.sessions() as db:
            lane = db.scalar(select(Lane).where(Lane.code == "east-out"))
            done = release_by_hand(db, runtime.store, lot, lane, outcome="unpaid", operator_id=who, now=clock())
            assert done.command.outcome == "delivered"
        asked.append(done.due_fen)
        clock.advance(minutes=5)
    with runtime.sessions() as db:
        assert [a.amount_fen for a in db.scalars(select(Arrears).order_by(Arrears.id))] == [1000, 1000]
    assert asked == [1000, 2000]  # the gate asked for both the second time; only the new stay became new arrears
