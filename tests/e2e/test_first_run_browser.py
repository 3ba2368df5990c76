"""A real site from nothing, in headless Chromium (issue 10's proof): on an empty database an admin made
by ``parking operator create`` signs in, is made to change the password, describes a lot with a zone,
a pool, an entry lane and its camera, tests the camera, and a simulated car then enters through the
running agent and shows on the dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from parking.agent.process import Agent
from parking.cli import main
from parking.runtime import Runtime
from simulators.camera import CameraSimulator
from web import create_app

from .console_server import serving
from .test_console_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, _unavailable

pytestmark = [pytest.mark.browser, pytest.mark.database, pytest.mark.redis]

FIRST_PASSWORD = "Start-2026-village"
OWN_PASSWORD = "Mine-Very-Own-42"


@pytest.fixture
def empty_site(runtime: Runtime) -> Iterator[tuple[str, Agent]]:
    """The console and the agent on an empty, migrated database: no demo, no lots."""
    with serving(create_app(runtime.settings, runtime=runtime), "first-run-console") as url, Agent(runtime, "127.0.0.1", 0) as agent:
        yield url, agent


@pytest.fixture
def browser_page():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()


def test_an_admin_sets_up_a_lot_from_an_empty_database_and_a_car_enters(runtime: Runtime, settings, empty_site, browser_page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base_url, agent = empty_site
    page = browser_page
    env = {"PARKING_INSTANCE_PATH": str(settings.instance_path), "PARKING_DATABASE_URL": settings.database_url,
           "PARKING_REDIS_URL": settings.redis_url, "PARKING_SECRET_KEY": settings.secret_key}
    made = CliRunner().invoke(main, ["operator", "create", "chief", "--role", "admin", "--password-stdin"],
                              input=FIRST_PASSWORD + "\n", env=env)
    assert made.exit_code == 0, made.output

    # Signed in with the first password, the admin must choose an own one before anything else.
    page.goto(f"{base_url}/auth/login")
    page.fill("#username", "chief")
    page.fill("#password", FIRST_PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(r"/auth/password(\?|$)"))
    page.goto(f"{base_url}/console/site")
    expect(page).to_have_url(re.compile(r"/auth/password(\?|$)"))
    page.fill("#current_password", FIRST_PASSWORD)
    page.fill("#new_password", OWN_PASSWORD)
    page.fill("#confirm", OWN_PASSWORD)
    page.click("input[type=submit]")

    # The site, its lot, a zone with a temporary pool, an entry lane and its camera.
    page.goto(f"{base_url}/console/site")
    new_site = page.locator('form[action="/console/site/sites"]')
    new_site.locator('input[name="code"]').fill("xinwei")
    new_site.locator('input[name="name"]').fill("新围村")
    new_site.locator("button[type=submit]").click()
    page.locator('[data-site="xinwei"] summary', has_text="新增停车场").click()
    new_lot = page.locator('[data-site="xinwei"] form[action$="/lots"]')
    new_lot.locator('input[name="code"]').fill("xw-north")
    new_lot.locator('input[name="name"]').fill("新围村北停车场")
    new_lot.locator("button[type=submit]").click()
    expect(page.locator(".flash").first).to_have_text("停车场已创建。")  # and the lot's own page is open
    new_zone = page.locator('form[action$="/zones"]')
    new_zone.locator('input[name="code"]').fill("main")
    new_zone.locator('input[name="name"]').fill("地面")
    new_zone.locator('input[name="capacity"]').fill("12")
    new_zone.locator('input[name="pool.temporary"]').fill("8")
    new_zone.locator("button[type=submit]").click()
    expect(page.locator('[data-zone="main"]')).to_be_visible()
    new_lane = page.locator('form[action$="/lanes"]')
    new_lane.locator('input[name="code"]').fill("north-in")
    new_lane.locator('input[name="name"]').fill("北门入口")
    new_lane.locator("button[type=submit]").click()
    lane = page.locator('[data-lane="north-in"]')
    lane.locator("summary", has_text="添加设备").click()
    device = lane.locator('form[action$="/devices"]')
    device.locator('select[name="kind"]').select_option("camera")
    device.locator('input[name="name"]').fill("北门入口相机")
    device.locator('input[name="url"]').fill(f"vz-http://127.0.0.1:{agent.ingress.server_address[1]}?serial=SN-XW-N1")
    device.locator("button[type=submit]").click()

    # The agent picks the lane up without a restart; the camera is configured with its own push URL.
    camera = None
    for _ in range(200):
        urls = agent.camera_urls("SN-XW-N1")
        if urls:
            camera = CameraSimulator("SN-XW-N1", urls["push_url"])
            break
        page.wait_for_timeout(50)
    assert camera is not None, "the agent did not pick up the new lane"
    camera.heartbeat()
    agent.report_health()
    page.locator('[data-lane="north-in"] form[action$="/test"] button').click()
    expect(page.locator(".flash").first).to_contain_text("北门入口相机：相机在线")

    # A car arrives: the gate opens and the dashboard counts it.
    assert camera.push_plate("粤B12345").open_gate is True
    page.goto(f"{base_url}/console/")
    expect(page.locator('.lot [data-field="present"]').first).to_have_text("1")
