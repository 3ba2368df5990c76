"""The API's documentation page in headless Chromium: Swagger UI starts under the site's content security
policy from this app's own files, asks no other origin for anything, and an operation tried from it with
a token pasted into Authorize is answered.

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
from parking.services.tokens import issue_token
from tests.conftest import FIXED_NOW
from web import create_app

from .console_server import serving

pytestmark = [pytest.mark.browser, pytest.mark.database, pytest.mark.redis]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WAIT_MS = 15_000
LOTS = "#operations-lots-get_api_v1_lots"


@pytest.fixture
def base_url(runtime: Runtime, village: DemoVillage) -> Iterator[str]:
    with serving(create_app(runtime.settings, runtime=runtime), "api-docs-under-test") as url:
        yield url


@pytest.fixture
def browser_page(base_url: str):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("PARKING_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is not installed and PARKING_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()


def test_swagger_ui_runs_from_this_origin_and_tries_an_operation_with_a_token(browser_page, base_url: str, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    with runtime.sessions() as db:
        token = issue_token(db, name="docs page", scopes=["lots:read"], now=FIXED_NOW).secret
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: elsewhere.append(request.url) if not request.url.startswith((base_url, "data:")) else None)

    page.goto(f"{base_url}/api/v1/docs")
    expect(page.locator(".info .title")).to_contain_text("Parking")
    expect(page.locator(LOTS)).to_be_visible()

    page.click(".auth-wrapper button.authorize")
    page.fill(".auth-container input", token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click(".auth-btn-wrapper button.btn-done")
    page.click(f"{LOTS} .opblock-summary")
    page.click(f"{LOTS} button.try-out__btn")
    page.click(f"{LOTS} button.execute")
    expect(page.locator(f"{LOTS} .live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(page.locator(f"{LOTS} .live-responses-table tbody .response-col_description").first).to_contain_text("和谐里小区")

    assert problems == []  # nothing refused by the content security policy, no script error
    assert elsewhere == []
