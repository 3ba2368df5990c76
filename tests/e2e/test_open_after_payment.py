"""A car held at an exit for its fee is let out by its lane as soon as the payment is booked: the ledger
asks the lane to decide again, and the lane opens only for that car."""

from __future__ import annotations


from sqlalchemy import select

from parking.models import Operator
from parking.plates import parse
from parking.services import lane_commands, ledger, shifts
from simulators.camera import CometPoller

from .running_lanes import agent, camera, wait_until  # noqa: F401  (agent: the fixture)


def attendant_shift(runtime, lot_id, clock):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        attendant = db.scalar(select(Operator.id).where(Operator.username == "attendant"))
        return shifts.open_shift(db, operator_id=attendant, lot_id=lot_id, at=clock())


def test_cash_taken_for_a_held_car_opens_its_exit_and_the_board_says_so(runtime, village, agent, clock):
    lot = agent.lanes.lots()[village.community_lot_id]
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345").open_gate
    clock.advance(hours=3)
    out = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert out.push_plate("粤B12345").open_gate is False  # pushed before the comet poller shares the camera's connection
    with CometPoller(out):
        assert runtime.store.held.at_lane(lot.id, village.lane("east-out").id, clock())["due_fen"] == 1000
        shift = attendant_shift(runtime, lot.id, clock)
        with runtime.sessions() as db:
            payment, change = ledger.take_cash(db, runtime.store, lot, parse("粤B12345"), given_fen=1000, shift=shift, at=clock())
        assert (payment.amount_fen, change) == (1000, 0)
        wait_until(lambda: any(r.open_gate for r in out.log.responses), "the exit opened")
    assert sum(r.open_gate for r in out.log.responses) == 1
    assert any("一路顺风" in f.data[19:].decode("gb2312", "replace") for f in out.serial_frames if f.cmd == 0x62)
    assert runtime.store.open_session(lot.id, "粤B12345") is None  # the exit is recorded
    assert runtime.store.held.at_lane(lot.id, village.lane("east-out").id, clock()) is None


def test_a_payment_for_a_car_not_held_anywhere_opens_nothing(runtime, village, agent, clock):
    lot = agent.lanes.lots()[village.community_lot_id]
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345").open_gate
    clock.advance(hours=3)
    sent = lane_commands.release_after_payment(runtime.store, lot.id, "粤B12345", "", now=clock(), payment_uid="p1")
    assert sent == []


def test_the_lane_refuses_to_open_for_a_car_it_no_longer_holds(runtime, village, agent, clock):
    lot = agent.lanes.lots()[village.community_lot_id]
    lane = village.lane("east-out")
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345").open_gate
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B67890").open_gate
    clock.advance(hours=3)
    out = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert out.push_plate("粤B12345").open_gate is False  # pushed before the comet poller shares the camera's connection
    with CometPoller(out):
        session = runtime.store.open_session(lot.id, "粤B12345")["uid"]
        assert out.push_plate("粤B67890").open_gate is False  # another car now waits at the barrier
        command = lane_commands.LaneCommand("c1", lot.id, lane.id, "release", "", "payment p1", None, clock().isoformat(),
                                            plate="粤B12345", session=session)
        assert agent.commands.handle(command) == "not_held"
    assert sum(r.open_gate for r in out.log.responses) == 0
