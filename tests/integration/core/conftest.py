"""A site driven lane by lane through the real decision path (facts in Redis, Lua core), without HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parking.agent.process import Agent
from parking.lane_display import LaneDecision
from parking.services.lane_reads import PlateRead, handle_read

from ...conftest import Clock


class Site:
    def __init__(self, agent: Agent, clock: Clock) -> None:
        self.agent = agent
        self.clock = clock
        self.store = agent.runtime.store
        self._reads = 0

    def read(self, lane_code: str, plate: str) -> LaneDecision:
        lane = next(l for l in self.agent.lanes.all().values() if l.code == lane_code)
        self._reads += 1
        return handle_read(self.store, lane, PlateRead(device=lane.camera_serial, license=plate, color="unknown", confidence=96, at=None, event_id=str(self._reads)), self.clock())

    def refresh(self) -> None:
        self.agent.lanes.reload()
        self.agent.refresh_facts()


@pytest.fixture
def site(runtime, village, clock) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    agent = Agent(runtime, "127.0.0.1", 0, clock=clock)
    agent.lanes.reload()
    agent.refresh_facts()
    try:
        yield Site(agent, clock)
    finally:
        agent.stop()
