"""The booth in headless Chromium on a 1366×768 booth screen: an attendant opens a shift, takes cash for a car
held at the exit (the change shown while typing, the gate opened once by the running agent), opens the
printed receipt, closes the shift five yuan short, and a manager confirms it.

The app is served on a loopback port by werkzeug in a thread, with the test's clock; a real agent holds
the car. Without /usr/bin/chromium the test is skipped, unless ``PARKING_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from parking.agent.process import Agent
from parking.runtime import Runtime
from parking.seed import DemoVillage
from simulators.camera import CameraSimulator, CometPoller
from tests.conftest import TEST_PASSWORD, Clock
from web import create_app

from .console_server import serving

pytestmark = [pytest.mark.browser, pytest.mark.database, pytest.mark.redis]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
WAIT_MS = 10_000
PLATE = "粤B12345"


@pytest.fixture
def base_url(runtime: Runtime, village: DemoVillage, clock: Clock) -> Iterator[str]:
    app = create_app(runtime.settings, runtime=runtime)
    app.config["PARKING_CLOCK"] = clock
    with serving(app, "booth-under-test") as url:
        yield url


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("PARKING_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is not installed and PARKING_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def booth_page(browser, base_url: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{base_url}/auth/login")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/console/")
    return page


def test_an_attendant_takes_cash_prints_the_receipt_and_closes_a_shift_a_manager_confirms(browser, base_url: str, runtime: Runtime, village: DemoVillage, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    lane = village.lane("east-out")
    with Agent(runtime, "127.0.0.1", 0, clock=clock) as agent:
        entry = CameraSimulator("VZ-HX-EAST-IN", agent.camera_urls("VZ-HX-EAST-IN")["push_url"], clock=clock)
        assert entry.push_plate(PLATE).open_gate
        clock.advance(hours=3)
        exit_camera = CameraSimulator("VZ-HX-EAST-OUT", agent.camera_urls("VZ-HX-EAST-OUT")["push_url"], clock=clock)
        assert exit_camera.push_plate(PLATE).open_gate is False  # held for its 10 yuan

        page = booth_page(browser, base_url, "attendant")
        page.click("nav >> text=交班")
        page.select_option("#lot_id", str(village.community_lot_id))
        page.select_option("#lane_id", str(lane.id))
        page.fill("#opening_float", "100")
        page.click("button:has-text('开班')")
        expect(page.locator(".flash")).to_have_text("已开班，备用金 100.00 元。")

        page.click("nav >> text=车道")
        card = page.locator(f'[data-lane="{lane.id}"]')
        expect(card.locator('[data-field="held-plate"]')).to_have_text(PLATE)
        expect(card.locator('[data-field="due"]')).to_have_text("10.00")
        card.locator('input[name="given"]').fill("5")
        expect(card.locator('[data-field="change"]')).to_have_text("还差 5.00 元")
        card.locator('input[name="given"]').fill("50")
        expect(card.locator('[data-field="change"]')).to_have_text("找零 40.00 元")  # before confirming
        with CometPoller(exit_camera) as gate:
            card.locator("button:has-text('收现金')").click()
            expect(card.locator(".flash")).to_have_text(["粤B12345 已收现金 10.00 元：收 50.00 元，找零 40.00 元。", "东门出口：抬杆指令已送达设备。"])
        assert sum(r.open_gate for r in gate.log.responses) == 1

        with page.context.expect_page() as opened:
            card.locator('[data-field="print-receipt"]').click()
        receipt = opened.value
        receipt.wait_for_load_state()
        expect(receipt.locator('[data-field="plate"]')).to_have_text(PLATE)
        expect(receipt.locator('[data-field="amount"]')).to_have_text("10.00 元")
        expect(receipt.locator('[data-field="change"]')).to_have_text("40.00 元")
        expect(receipt.locator('[data-field="e-receipt"] svg')).to_be_visible()
        expect(receipt.locator('[data-action="print"]')).to_be_visible()
        receipt.close()

        page.click("nav >> text=交班")
        page.fill("#counted", "105")
        page.click("button:has-text('计算差额')")
        expect(page.locator('[data-field="close-preview"]')).to_have_text("应有现金 110.00 元，清点 105.00 元，差额 -5.00 元。")
        page.click("button:has-text('确认交班')")
        expect(page.locator(".flash")).to_have_text("已交班：应有现金 110.00 元，清点 105.00 元，差额 -5.00 元。")
        expect(page.locator('[data-field="difference"]')).to_have_text("-5.00")

    manager = booth_page(browser, base_url, "manager")
    manager.goto(f"{base_url}/console/shifts")
    waiting = manager.locator('[data-field="waiting"] tr[data-shift]')
    expect(waiting).to_have_count(1)
    expect(waiting.locator('[data-field="difference"]')).to_have_text("-5.00")
    waiting.locator("button:has-text('确认')").click()
    expect(manager.locator(".flash")).to_have_text("已确认 岗亭值班员 的班次（差额 -5.00 元）。")
    expect(manager.locator('[data-field="waiting"] tr[data-shift]')).to_have_count(0)
    expect(manager.locator('[data-field="others"] [data-field="state"]').first).to_have_text("已确认")
    if os.environ.get("PARKING_SCREENSHOT_BOOTH"):
        manager.screenshot(path=os.environ["PARKING_SCREENSHOT_BOOTH"], full_page=True)
