"""What the end-to-end money tests share: a running agent, cameras it has heard, and waiting on a lane."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from parking.agent.process import Agent
from simulators.camera import CameraSimulator


@pytest.fixture
def agent(runtime, village, clock) -> Iterator[Agent]:  # type: ignore[no-untyped-def]
    with Agent(runtime, "127.0.0.1", 0, clock=clock) as running:
        yield running


def camera(agent: Agent, serial: str, clock) -> CameraSimulator:  # type: ignore[no-untyped-def]
    """The lane camera ``serial``, heard once, so the agent counts it online before a comet poller starts."""
    cam = CameraSimulator(serial, agent.camera_urls(serial)["push_url"], clock=clock)
    cam.heartbeat()
    return cam


def wait_until(condition: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """Wait for ``condition`` (a comet heartbeat carries a command), failing after ``timeout`` seconds."""
    waiting = threading.Event()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        waiting.wait(0.02)
