"""The console in headless Chromium: sign in, see the dashboard, and watch the count change live when a
car is admitted through the occupancy store, without the page reloading.

The app is served on a loopback port by werkzeug in a thread. Without /usr/bin/chromium the tests are
skipped, unless ``PARKING_REQUIRE_BROWSER=1`` makes a missing browser a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW, TEST_PASSWORD
from web import create_app

from .console_server import serving

pytestmark = [pytest.mark.browser, pytest.mark.database, pytest.mark.redis]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
WAIT_MS = 10_000  # the dashboard polls every 2 s; five polls is plenty


def _unavailable(reason: str) -> None:
    if os.environ.get("PARKING_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} and PARKING_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture
def base_url(runtime: Runtime, village: DemoVillage) -> Iterator[str]:
    with serving(create_app(runtime.settings, runtime=runtime), "console-under-test") as url:
        yield url


@pytest.fixture
def page(base_url: str):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()


def _sign_in(page, base_url: str, username: str = "attendant") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/auth/login")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("input[type=submit]")


def test_sign_in_leads_to_the_dashboard(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _sign_in(page, base_url)
    expect(page).to_have_url(f"{base_url}/console/")
    expect(page.locator("h1")).to_have_text("车位概况")
    expect(page.locator(".lot h2")).to_have_text(["和谐里小区", "科技园办公楼停车场"])


def test_dashboard_count_changes_live_when_a_car_is_admitted(page, base_url: str, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _sign_in(page, base_url)
    lot = page.locator(f'[data-lot="{village.community_lot_id}"]')
    zone = page.locator(f'[data-zone="{village.outer_zone_id}"]')
    expect(zone.locator('[data-field="present"]')).to_have_text("0")
    expect(lot.locator('.totals [data-field="free"]')).to_have_text("52")
    page.evaluate("window.loadedOnce = true")

    lane = village.lane("east-in")
    assert runtime.store.admit(lane.lot_id, lane.zone_id, "粤B12345", FIXED_NOW, lane_id=lane.id).outcome == "admitted"

    expect(zone.locator('[data-field="present"]')).to_have_text("1", timeout=WAIT_MS)
    expect(zone.locator('[data-field="free"]')).to_have_text("39")
    expect(lot.locator('.totals [data-field="free"]')).to_have_text("51")
    assert page.evaluate("window.loadedOnce") is True  # the same document: updated in place, not reloaded
    if os.environ.get("PARKING_SCREENSHOT"):
        page.screenshot(path=os.environ["PARKING_SCREENSHOT"], full_page=True)


def test_attendant_opens_a_gate_from_the_lanes_page_with_a_reason(page, base_url: str, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from parking.agent.process import Agent
    from simulators.camera import CameraSimulator, CometPoller

    lane = village.lane("east-out")
    with Agent(runtime, "127.0.0.1", 0) as agent:
        camera = CameraSimulator("VZ-HX-EAST-OUT", agent.camera_urls("VZ-HX-EAST-OUT")["push_url"])
        _sign_in(page, base_url)
        page.goto(f"{base_url}/console/lanes")
        card = page.locator(f'[data-lane="{lane.id}"]')
        card.locator("select[name=reason]").select_option("visitor")
        camera.heartbeat()  # heard once, so the agent counts it online before its poller starts
        with CometPoller(camera):  # the lane's camera polls in comet mode: the open leaves with its next heartbeat
            card.locator('button[value="open"]').click()
            expect(page.locator(".flash")).to_have_text("东门出口：抬杆指令已送达设备。")
        assert page.url == f"{base_url}/console/lanes#lane-{lane.id}"
        assert sum(r.open_gate for r in camera.log.responses) == 1
    if os.environ.get("PARKING_SCREENSHOT_LANES"):
        page.screenshot(path=os.environ["PARKING_SCREENSHOT_LANES"], full_page=True)
