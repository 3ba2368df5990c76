"""Fixtures for the web app: ``app`` over the test runtime with the demo village, a ``client``, and
``login``/``login_as`` that sign an operator in through the real form (CSRF token included)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parking.occupancy.recorder import Recorder
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW, TEST_PASSWORD
from web import create_app

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


@pytest.fixture
def app(runtime: Runtime, village: DemoVillage) -> Flask:
    app = create_app(runtime.settings, runtime=runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., object]:
    def sign_in(username: str = "admin", password: str = TEST_PASSWORD, *, lang: str | None = None) -> object:
        page = client.get("/auth/login" + (f"?lang={lang}" if lang else ""))
        return client.post(
            "/auth/login",
            data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username, "password": password},
        )

    return sign_in


@pytest.fixture
def admit(runtime: Runtime, village: DemoVillage) -> Callable[..., None]:
    """Drive ``plates`` in through the community's east entry, one minute apart, and record them in SQL."""

    def drive_in(*plates: str, lane_code: str = "east-in", zone_id: int | None = None) -> None:
        lane = village.lane(lane_code)
        for i, plate in enumerate(plates):
            at = FIXED_NOW + timedelta(minutes=i)
            result = runtime.store.admit(lane.lot_id, zone_id or lane.zone_id, plate, at, lane_id=lane.id)
            assert result.outcome == "admitted", result
        Recorder(runtime.redis, runtime.sessions, [village.community_lot_id, village.office_lot_id]).drain()

    return drive_in


@pytest.fixture
def drive_out(runtime: Runtime, village: DemoVillage) -> Callable[..., None]:
    """Let ``plates`` out through the community's east exit an hour after ``FIXED_NOW`` and record it."""

    def leave(*plates: str, lane_code: str = "east-out") -> None:
        lane = village.lane(lane_code)
        for plate in plates:
            result = runtime.store.release(lane.lot_id, plate, FIXED_NOW + timedelta(hours=1), lane_id=lane.id)
            assert result.outcome == "released", result
        Recorder(runtime.redis, runtime.sessions, [village.community_lot_id, village.office_lot_id]).drain()

    return leave
