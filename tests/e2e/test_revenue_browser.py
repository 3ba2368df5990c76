"""The revenue page in headless Chromium: the vendored Chart.js draws both charts under the site's content
security policy, from this app's own files, with no script error; the tables show the report's figures.

Without /usr/bin/chromium the test is skipped, unless ``PARKING_REQUIRE_BROWSER=1`` makes a missing
browser a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import TEST_PASSWORD, Clock
from tests.integration.money.test_revenue import two_days
from tests.integration.web.test_revenue_console import village_book
from web import create_app

from .console_server import serving

pytestmark = [pytest.mark.browser, pytest.mark.database, pytest.mark.redis]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def base_url(runtime: Runtime, village: DemoVillage) -> Iterator[str]:
    book = village_book(runtime, village)
    two_days(book.db, book)
    book.db.commit()
    book.db.close()
    app = create_app(runtime.settings, runtime=runtime)
    app.config["PARKING_CLOCK"] = Clock()
    with serving(app, "revenue-under-test") as url:
        yield url


@pytest.fixture
def page(base_url: str):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("PARKING_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is not installed and PARKING_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def test_the_charts_are_drawn_under_the_content_security_policy(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(f"{base_url}/auth/login")
    page.fill("#username", "manager")
    page.fill("#password", TEST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/console/")
    problems: list[str] = []  # from here on: the sign-in page's missing favicon is not the revenue page's
    elsewhere: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: elsewhere.append(request.url) if not request.url.startswith((base_url, "data:")) else None)
    page.goto(f"{base_url}/console/revenue?from=2026-11-24&to=2026-11-25")
    expect(page.locator('[data-total="net_fen"]')).to_have_text("45.00")
    page.wait_for_function("() => window.Chart && Chart.getChart('revenue-days') && Chart.getChart('revenue-methods')")
    drawn = page.evaluate("""() => ['revenue-days', 'revenue-methods'].map(id => {
        const chart = Chart.getChart(id);
        return [chart.config.type, chart.data.datasets.length, chart.canvas.width > 0];
    })""")
    assert drawn == [["bar", 6, True], ["doughnut", 1, True]]
    assert problems == []  # nothing refused by the content security policy, no script error
    assert elsewhere == []
