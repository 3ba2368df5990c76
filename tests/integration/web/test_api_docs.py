"""``/api/v1/docs``: Swagger UI over the OpenAPI document, public, from files this app serves itself: no
URL of another origin in the page, no inline script, and the site's content security policy intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from web.security import CONTENT_SECURITY_POLICY

pytestmark = [pytest.mark.database, pytest.mark.redis]

WEB = Path(__file__).resolve().parents[3] / "web"
REFERENCES = re.compile(r'(?:src|href)="([^"]*)"')


def _page(client: FlaskClient) -> str:
    response = client.get("/api/v1/docs")
    assert (response.status_code, response.mimetype) == (200, "text/html")
    return response.get_data(as_text=True)


def test_the_docs_page_is_served_without_sign_in_and_keeps_the_sites_policy(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


def test_the_docs_page_names_no_other_origin(client: FlaskClient) -> None:
    html = _page(client)
    assert re.findall(r"https?://|//[a-z0-9]", html, flags=re.IGNORECASE) == []


def test_the_docs_page_loads_the_vendored_swagger_ui_and_its_starter_and_nothing_inline(client: FlaskClient) -> None:
    html = _page(client)
    assert REFERENCES.findall(html) == [
        "data:,",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/api/v1/openapi.json",
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/js/api-docs.js",
    ]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
    assert 'data-spec-url="/api/v1/openapi.json"' in html


@pytest.mark.parametrize(("url", "mimetype", "vendored"), [
    ("/static/vendor/swagger-ui/swagger-ui.css", "text/css", "vendor/swagger-ui/swagger-ui.css"),
    ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "text/javascript", "vendor/swagger-ui/swagger-ui-bundle.js"),
    ("/static/js/api-docs.js", "text/javascript", "js/api-docs.js"),
])
def test_the_files_the_page_loads_are_served_from_this_app(client: FlaskClient, url: str, mimetype: str, vendored: str) -> None:
    response = client.get(url)
    assert (response.status_code, response.mimetype) == (200, mimetype)
    assert response.get_data() == (WEB / "static" / vendored).read_bytes()
    response.close()


def test_the_vendored_swagger_ui_is_the_recorded_release_with_its_licence() -> None:
    vendor = WEB / "static" / "vendor" / "swagger-ui"
    assert '"version": "5.35.0"' in (vendor / "package.json").read_text()
    assert "Apache License" in (vendor / "LICENSE").read_text()
    assert "swagger-ui-dist` 5.35.0" in (vendor / "README.md").read_text()


def test_the_starter_sends_the_document_to_no_outside_validator() -> None:
    starter = (WEB / "static" / "js" / "api-docs.js").read_text()
    assert "validatorUrl: null" in starter
    assert re.findall(r"https?://", starter) == []


def test_the_openapi_document_is_public_and_the_operations_are_not(client: FlaskClient) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/lots").status_code == 401
