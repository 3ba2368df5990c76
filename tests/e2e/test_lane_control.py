"""Console commands reach the lane within a second, device health is reported, snapshots are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from parking.agent.process import Agent
from parking.models import ParkingSession
from parking.occupancy import LotKeys
from parking.services import lane_commands
from parking.worker import Worker
from simulators.camera import CameraSimulator, CometPoller

from ..conftest import FIXED_NOW


@pytest.fixture
def agent(runtime, village, clock):  # type: ignore[no-untyped-def]
    with Agent(runtime, "127.0.0.1", 0, clock=clock) as running:
        yield running


def camera(agent, serial, clock):  # type: ignore[no-untyped-def]
    return CameraSimulator(serial, agent.camera_urls(serial)["push_url"], clock=clock)


def heard_once(cam):  # type: ignore[no-untyped-def]
    """The camera heard once, so the agent counts it online before its comet poller starts."""
    cam.heartbeat()
    return cam


def send(runtime, lot_id, lane_id, action, clock, **fields):  # type: ignore[no-untyped-def]
    return lane_commands.dispatch(runtime.store, lot_id, lane_id, action, now=clock(), **fields)


def test_an_attendant_opens_the_gate_and_the_comet_heartbeat_carries_it(runtime, village, agent, clock):
    lane = village.lane("east-out")
    with CometPoller(heard_once(camera(agent, "VZ-HX-EAST-OUT", clock))) as cam:
        command, heard = send(runtime, village.community_lot_id, lane.id, "open", clock, reason="访客未登记，物业确认放行", operator_id=1)
        assert heard == 1
        assert lane_commands.wait_for_outcome(runtime.store, command, timeout=5.0)["outcome"] == "delivered"
    assert sum(r.open_gate for r in cam.log.responses) == 1  # executed once
    assert cam.heartbeat().open_gate is False
    kinds = [f[b"kind"] for _, f in runtime.redis.xrange(LotKeys(village.community_lot_id).events)]
    assert kinds[-1] == b"lane_command"


def test_a_command_needs_a_reason_to_open_and_a_known_action(runtime, village, clock):
    with pytest.raises(lane_commands.LaneCommandError, match="reason: opening a gate by hand needs a reason"):
        send(runtime, village.community_lot_id, 1, "open", clock)
    with pytest.raises(lane_commands.LaneCommandError, match="action: 'lift' is not one of open, close, show_text"):
        send(runtime, village.community_lot_id, 1, "lift", clock, reason="x")


def test_text_sent_from_the_console_is_shown_and_spoken(runtime, village, agent, clock):
    with CometPoller(heard_once(camera(agent, "VZ-HX-EAST-IN", clock))) as cam:
        command, _ = send(runtime, village.community_lot_id, village.lane("east-in").id, "show_text", clock, text="请走左侧车道")
        assert lane_commands.wait_for_outcome(runtime.store, command, timeout=5.0)["outcome"] == "delivered"
    assert [(f.cmd, f.data[19:].decode("gb2312") if f.cmd == 0x62 else f.data[1:].decode("gb2312")) for f in cam.serial_frames] == [
        (0x62, "请走左侧车道"), (0x30, "请走左侧车道"),
    ]


def test_device_health_says_which_cameras_were_heard_within_30_seconds(runtime, village, agent, clock):
    camera(agent, "VZ-HX-EAST-IN", clock).heartbeat()
    agent.report_health()
    heard = runtime.redis.hgetall(LotKeys(village.community_lot_id).device("VZ-HX-EAST-IN"))
    silent = runtime.redis.hgetall(LotKeys(village.community_lot_id).device("VZ-HX-NORTH-IN"))
    assert (heard[b"online"], heard[b"lane"], silent[b"online"]) == (b"1", str(village.lane("east-in").id).encode(), b"0")
    assert abs(int(heard[b"last_seen_ms"]) - int(FIXED_NOW.timestamp() * 1000)) < 5000


def test_snapshots_are_stored_linked_to_the_stay_and_purged_after_retention(runtime, village, agent, clock, tmp_path):
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345", with_image=True).open_gate
    assert agent.devices.drain(timeout=5)  # snapshots are stored after the camera was answered
    Worker(runtime).drain()
    with runtime.sessions() as db:
        stay = db.scalar(select(ParkingSession))
    stored = agent.snapshots.open(stay.entry_snapshot)
    assert stored.exists() and stored.name.endswith("-scene.jpg")
    clock.now += timedelta(days=runtime.settings.snapshot_days + 2)
    agent.sync()
    assert not stored.exists()


def test_parking_simulate_drives_the_lanes_of_a_running_agent(runtime, village, agent, settings):
    from click.testing import CliRunner

    from parking.cli import main

    env = {"PARKING_INSTANCE_PATH": str(settings.instance_path), "PARKING_DATABASE_URL": settings.database_url,
           "PARKING_REDIS_URL": settings.redis_url, "PARKING_SECRET_KEY": settings.secret_key}
    result = CliRunner().invoke(main, ["simulate", "--agent-url", agent.url, "--seconds", "1", "--interval", "0.05", "--seed", "7",
                                       "--render", str(settings.instance_path / "boards")], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"simulating 5 lanes against {agent.url}")
    present = sum(n for n, _ in runtime.store.occupancy(village.community_lot_id).values()) + sum(
        n for n, _ in runtime.store.occupancy(village.office_lot_id).values())
    assert "entry_open" in result.output and present > 0
    assert "gate passages: east-in " in result.output
    board = settings.instance_path / "boards" / "east-in.png"
    assert board.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_text_the_board_cannot_show_is_refused_and_the_listener_keeps_going(runtime, village, agent, clock):
    lot, lane = village.community_lot_id, village.lane("east-in").id
    with CometPoller(heard_once(camera(agent, "VZ-HX-EAST-IN", clock))):
        bad = lane_commands.LaneCommand("b" * 32, lot, lane, "show_text", "請走左側😀", issued_at=clock().isoformat())
        runtime.store.commands.publish(lot, bad.to_json())  # past the console's own check, as a hostile publisher would
        assert lane_commands.wait_for_outcome(runtime.store, bad, timeout=5.0)["outcome"] == "bad_text"
        runtime.store.commands.publish(lot, "not json")
        good, _ = send(runtime, lot, lane, "show_text", clock, text="请走左侧车道")
        assert lane_commands.wait_for_outcome(runtime.store, good, timeout=5.0)["outcome"] == "delivered"
