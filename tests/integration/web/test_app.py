"""The factory: the runtime it is given or opens, the request size limit, and the security headers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parking.config import Settings
from parking.runtime import Runtime
from web import MAX_REQUEST_BYTES, create_app

pytestmark = [pytest.mark.database, pytest.mark.redis]


def test_app_holds_the_runtime_it_is_given(app: Flask, runtime: Runtime) -> None:
    assert app.extensions["parking.runtime"] is runtime


def test_app_opens_a_runtime_and_closes_it_when_the_process_exits(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    at_exit: list[object] = []
    monkeypatch.setattr("web.atexit.register", at_exit.append)
    app = create_app(settings)
    opened = app.extensions["parking.runtime"]
    try:
        assert isinstance(opened, Runtime)
        assert at_exit == [opened.close]
        with app.test_client() as client:
            assert client.get("/").status_code == 200
        assert opened.redis.ping() is True  # still open after the request: closed per process, not per request
    finally:
        opened.close()


def test_app_given_a_runtime_leaves_closing_it_to_the_caller(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    at_exit: list[object] = []
    monkeypatch.setattr("web.atexit.register", at_exit.append)
    create_app(runtime.settings, runtime=runtime)
    assert at_exit == []


def test_settings_come_from_the_environment_when_none_are_given(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARKING_INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("PARKING_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PARKING_REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("PARKING_LANGUAGE", "en")
    monkeypatch.setattr("web.atexit.register", lambda close: None)
    app = create_app()
    try:
        assert app.config["PARKING_SETTINGS"].language == "en"
        assert app.config["BABEL_DEFAULT_LOCALE"] == "en"
    finally:
        app.extensions["parking.runtime"].close()


def test_request_size_is_limited_to_one_mebibyte(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == MAX_REQUEST_BYTES == 1024 * 1024


def test_oversized_form_post_to_the_console_is_refused(client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"username": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 413


def test_pages_carry_a_content_security_policy_of_their_own_origin(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_pages_load_nothing_from_other_sites(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    for url in ("/", "/auth/login", "/console/", "/console/lanes", "/console/sessions", "/console/passes"):
        html = client.get(url).get_data(as_text=True)
        assert "http://" not in html and "https://" not in html and 'src="//' not in html, url
        assert "<script>" not in html, url  # scripts are files under /static, allowed by the policy


def test_the_session_cookie_is_https_only_when_configured(runtime: Runtime, village) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from tests.conftest import TEST_PASSWORD

    plain = create_app(runtime.settings, runtime=runtime)
    secure = create_app(replace(runtime.settings, secure_cookies=True), runtime=runtime)
    assert (plain.config["SESSION_COOKIE_SECURE"], secure.config["SESSION_COOKIE_SECURE"]) == (False, True)
    secure.config["WTF_CSRF_ENABLED"] = False
    response = secure.test_client().post("/auth/login", data={"username": "admin", "password": TEST_PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)
