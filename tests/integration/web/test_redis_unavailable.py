"""Redis unreachable: every page and API route answers 503 with a clear message instead of 500, the
resident page shows the last known counts marked stale, and all recovers by itself when Redis returns."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parking.embedded_redis import EmbeddedRedis
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW
from web import create_app
from web.error_pages import LIVE_STATE_UNAVAILABLE

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

NOTICE_ZH = "暂时无法连接实时数据服务（Redis），系统正在自动恢复。"
NOTICE_EN = "The live data service (Redis) cannot be reached right now; the system is recovering by itself."


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_over(runtime: Runtime) -> Flask:
    app = create_app(runtime.settings, runtime=runtime)
    app.config["TESTING"] = True
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW  # 17:30 in Shanghai
    return app


@pytest.fixture
def unreachable(runtime: Runtime, village: DemoVillage) -> Iterator[FlaskClient]:
    """The app over the village's SQL and a Redis URL nothing listens on."""
    down = Runtime.open(replace(runtime.settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
    try:
        yield app_over(down).test_client()
    finally:
        down.close()


def sign_in(client: FlaskClient, username: str = "admin") -> None:
    from tests.conftest import TEST_PASSWORD

    page = client.get("/auth/login")
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username,
                                                "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_the_api_answers_503_in_its_json_error_shape(unreachable: FlaskClient) -> None:
    response = unreachable.get("/api/v1/public/availability")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert response.get_json() == {"error": {"code": 503, "status": "Service Unavailable", "message": LIVE_STATE_UNAVAILABLE, "field": None}}
    assert "ConnectionError" not in response.get_data(as_text=True)


def test_the_resident_page_still_shows_the_lots_with_a_notice_when_no_count_is_known(unreachable: FlaskClient) -> None:
    response = unreachable.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "实时车位数据暂时无法获取，系统正在自动恢复。" in html
    assert html.count("暂时无法获取空余车位。") == 2  # the two public lots, by name, without numbers
    assert "和谐里小区" in html and "科技园办公楼停车场" in html
    english = unreachable.get("/?lang=en").get_data(as_text=True)
    assert "Live parking data cannot be reached right now; the system is recovering by itself." in english
    assert "Free spaces cannot be shown right now." in english


def test_the_dashboard_shows_a_notice_inside_the_console(unreachable: FlaskClient) -> None:
    sign_in(unreachable)
    response = unreachable.get("/console/")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "<h1>实时数据暂时不可用</h1>" in html
    assert NOTICE_ZH in html
    assert "车道仍按本地数据继续判断，恢复后记录会自动补传。" in html
    assert 'href="/console/lanes"' in html  # the console's navigation is still there
    assert '<meta http-equiv="refresh" content="10">' in html
    english = unreachable.get("/console/?lang=en").get_data(as_text=True)
    assert "<h1>Live data temporarily unavailable</h1>" in english and NOTICE_EN in english


def test_the_dashboards_live_poll_gets_json(unreachable: FlaskClient) -> None:
    sign_in(unreachable)
    response = unreachable.get("/console/live", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == LIVE_STATE_UNAVAILABLE


def test_pages_that_need_no_redis_are_served(unreachable: FlaskClient) -> None:
    assert unreachable.get("/auth/login").status_code == 200


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "own-redis").start()
    try:
        yield server
    finally:
        server.stop()


def test_the_resident_page_shows_the_last_known_counts_marked_stale_and_recovers(
    runtime: Runtime, village: DemoVillage, own_redis: EmbeddedRedis
) -> None:
    with Runtime.open(replace(runtime.settings, redis_url=own_redis.url)) as rt:
        client = app_over(rt).test_client()
        live = client.get("/")
        assert live.status_code == 200
        assert "数据可能已过期" not in live.get_data(as_text=True)

        own_redis.stop()                                           # Redis goes away
        stale = client.get("/")
        html = stale.get_data(as_text=True)
        assert stale.status_code == 503 and stale.headers["Retry-After"] == "10"
        assert "数据可能已过期, 更新于 17:30" in html
        assert "空余 52 个车位" in html and "空余 30 个车位" in html  # the counts last read
        assert '<meta http-equiv="refresh" content="10">' in html
        assert "Data may be out of date, updated at 17:30" in client.get("/?lang=en").get_data(as_text=True)
        client.get("/?lang=zh_CN")

        own_redis.start()                                          # and comes back: nothing to reopen
        again = client.get("/")
        assert again.status_code == 200
        assert "数据可能已过期" not in again.get_data(as_text=True)
        assert "空余 52 个车位" in again.get_data(as_text=True)
