"""Accounts in the web (issue 10 item 6): forced password change, the password page, sessions that end
on sign-out, password change and disabling, and sign-in throttling per account and per address."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Operator
from parking.runtime import Runtime
from parking.services import operators
from tests.conftest import FIXED_NOW, TEST_PASSWORD, Clock

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

TEMPORARY = "Temporary-2026"
CHOSEN = "Booth keeper 7"


def _operator(runtime: Runtime, username: str) -> Operator:
    with runtime.sessions() as db:
        found = db.scalar(select(Operator).where(Operator.username == username))
        assert found is not None
        return found


def _audit(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as db:
        return [(e.action, e.target) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _create(runtime: Runtime, username: str = "booth", role: str = "attendant", sites: tuple[str, ...] = ()) -> None:
    with runtime.sessions() as db:
        operators.create_operator(db, username, role, password=TEMPORARY, sites=sites, actor_id=None, now=FIXED_NOW)


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None, next_path: str = ""):  # type: ignore[no-untyped-def]
    page = client.get("/auth/password")
    return client.post("/auth/password" + (f"?next={next_path}" if next_path else ""), data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "current_password": current, "new_password": new,
        "confirm": new if confirm is None else confirm})


def _sign_out(client: FlaskClient) -> None:
    page = client.get("/auth/password")
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))}).status_code == 302


# -- forced password change -------------------------------------------------------------------------
def test_a_new_account_is_sent_to_the_password_page_at_first_sign_in(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    _create(runtime)
    response = login("booth", TEMPORARY)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/password?next=/console/"
    html = client.get("/auth/password").get_data(as_text=True)
    assert "首次登录或密码被重置后，须先设置自己的新密码，才能继续使用系统。" in html


@pytest.mark.parametrize("path", ["/console/", "/console/lanes", "/console/sessions?status=open", "/console/tariffs"])
def test_every_console_page_redirects_to_the_password_page_until_it_is_changed(client: FlaskClient, login, runtime: Runtime, path: str) -> None:  # type: ignore[no-untyped-def]
    _create(runtime)
    login("booth", TEMPORARY)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/password?next=")


def test_the_api_answers_403_with_a_clear_message_until_the_password_is_changed(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    _create(runtime)
    login("booth", TEMPORARY)
    response = client.get("/api/v1/lots")
    assert response.status_code == 403
    assert response.get_json() == {"error": {"code": 403, "status": "Forbidden", "field": None, "message":
                                             "password change required: this account must choose a new password before using the API; "
                                             "sign in to the console, which asks for it"}}


def test_changing_the_password_opens_the_console_and_is_audited(app: Flask, client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    _create(runtime)
    login("booth", TEMPORARY)
    response = _change(client, TEMPORARY, CHOSEN, next_path="/console/lanes")
    assert (response.status_code, response.headers["Location"]) == (302, "/console/lanes")
    assert client.get("/console/lanes").status_code == 200
    assert client.get("/api/v1/lots").status_code == 200
    booth = _operator(runtime, "booth")
    assert (booth.must_change_password, booth.password_changed_at.replace(tzinfo=None)) == (False, FIXED_NOW.replace(tzinfo=None))  # type: ignore[union-attr]
    assert _audit(runtime)[-1] == ("auth.password_changed", "booth")
    _sign_out(client)
    assert login("booth", TEMPORARY).status_code == 401
    assert login("booth", CHOSEN).headers["Location"] == "/console/"


@pytest.mark.parametrize(("current", "new", "confirm", "field", "message"), [
    ("wrong password", CHOSEN, CHOSEN, "current_password", "当前密码不正确。"),
    (TEMPORARY, "Short-1", "Short-1", "new_password", "密码至少需要 10 个字符。"),
    (TEMPORARY, "alllowercaseletters", "alllowercaseletters", "new_password", "密码需混合至少两类字符：小写字母、大写字母、数字、其他字符。"),
    (TEMPORARY, "Booth", "Booth", "new_password", "密码至少需要 10 个字符。"),
    (TEMPORARY, "booth.1234", "booth.1234", None, None),
    (TEMPORARY, TEMPORARY, TEMPORARY, "new_password", "新密码不能与当前密码相同。"),
    (TEMPORARY, CHOSEN, CHOSEN + "x", "confirm", "两次输入的新密码不一致。"),
    (TEMPORARY, CHOSEN, "", "confirm", "请再次输入新密码。"),
    (TEMPORARY, "<script>x</script>", "<script>x</script>", None, None),
])
def test_a_refused_password_names_the_field(client: FlaskClient, login, runtime: Runtime, current: str, new: str, confirm: str,  # type: ignore[no-untyped-def]
                                            field: str | None, message: str | None) -> None:
    _create(runtime, "booth")
    login("booth", TEMPORARY)
    response = _change(client, current, new, confirm)
    if field is None:  # accepted
        assert response.status_code == 302
        return
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="flash flash-error" data-field="{field}">{message}</p>' in html
    assert _operator(runtime, "booth").must_change_password is True


def test_the_user_name_is_not_a_password(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    _create(runtime, "gatekeeper.7")
    login("gatekeeper.7", TEMPORARY)
    html = _change(client, TEMPORARY, "Gatekeeper.7").get_data(as_text=True)
    assert '<p class="flash flash-error" data-field="new_password">密码不能与用户名相同。</p>' in html


def test_the_demo_accounts_need_no_change(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    for username in ("admin", "manager", "attendant"):
        assert login(username).headers["Location"] == "/console/"
        assert client.get("/console/").status_code == 200
        _sign_out(client)


def test_a_reset_forces_a_new_change_and_ends_the_accounts_sessions(app: Flask, client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    with runtime.sessions() as db:
        issued = operators.reset_password(db, _operator(runtime, "attendant").id, actor_id=None, now=FIXED_NOW)
    assert client.get("/console/").status_code == 302  # the session before the reset has ended
    assert client.get("/console/").headers["Location"].startswith("/auth/login")
    assert issued.temporary_password is not None
    assert login("attendant", issued.temporary_password).headers["Location"] == "/auth/password?next=/console/"


def test_auditors_may_change_their_password_and_sign_out(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    _create(runtime, "inspector", "auditor")
    login("inspector", TEMPORARY)
    assert _change(client, TEMPORARY, CHOSEN).status_code == 302
    _sign_out(client)
    assert client.get("/console/").status_code == 302


# -- sessions ----------------------------------------------------------------------------------------
def _device(app: Flask, username: str = "manager", password: str = TEST_PASSWORD) -> FlaskClient:
    device = app.test_client()
    page = device.get("/auth/login")
    response = device.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username, "password": password})
    assert response.status_code == 302
    return device


def test_a_cookie_saved_before_sign_out_no_longer_works_after_it(app: Flask) -> None:
    device = _device(app)
    saved = device.get_cookie("session")
    assert saved is not None
    _sign_out(device)
    replay = app.test_client()
    replay.set_cookie("session", saved.value)
    response = replay.get("/console/")
    assert (response.status_code, response.headers["Location"]) == (302, "/auth/login?next=/console/")
    assert replay.get("/api/v1/lots").status_code == 401


def test_signing_out_on_one_device_ends_the_session_on_every_other(app: Flask) -> None:
    phone, booth = _device(app), _device(app)
    _sign_out(phone)
    assert booth.get("/console/").status_code == 302
    assert _device(app).get("/console/").status_code == 200  # signing in again works


def test_a_password_change_keeps_this_session_and_ends_the_others(app: Flask, runtime: Runtime) -> None:
    phone, booth = _device(app), _device(app)
    response = _change(phone, TEST_PASSWORD, CHOSEN)
    assert response.status_code == 302
    assert phone.get("/console/").status_code == 200
    assert booth.get("/console/").status_code == 302


def test_disabling_ends_every_session_and_enabling_does_not_revive_them(app: Flask, runtime: Runtime) -> None:
    booth = _device(app, "attendant")
    saved = booth.get_cookie("session")
    assert saved is not None
    attendant_id = _operator(runtime, "attendant").id
    with runtime.sessions() as db:
        operators.set_active(db, attendant_id, False, actor_id=None, now=FIXED_NOW)
    assert booth.get("/console/").status_code == 302
    with runtime.sessions() as db:
        operators.set_active(db, attendant_id, True, actor_id=None, now=FIXED_NOW)
    replay = app.test_client()
    replay.set_cookie("session", saved.value)
    assert replay.get("/console/").status_code == 302


# -- throttling --------------------------------------------------------------------------------------
@pytest.fixture
def timed(app: Flask, clock: Clock) -> Clock:
    app.config["PARKING_CLOCK"] = clock
    return clock


def test_five_wrong_passwords_throttle_the_account_for_the_rest_of_the_window(client: FlaskClient, login: Callable[..., object],  # type: ignore[no-untyped-def]
                                                                             timed: Clock, runtime: Runtime) -> None:
    timed.advance(minutes=5)  # 09:35 UTC: the window of 09:30 ends in 10 minutes
    for _ in range(5):
        assert login("admin", "wrong password").status_code == 401  # type: ignore[attr-defined]
    refused = login("admin", TEST_PASSWORD)  # even the right password, while throttled
    html = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.headers["Retry-After"] == "600"  # type: ignore[attr-defined]
    assert "登录失败次数过多，已暂停登录。请 10 分钟后再试。" in html
    assert 'name="username"' in html  # the sign-in form, not an error page
    assert client.get("/console/").status_code == 302
    assert [action for action, _ in _audit(runtime)] == ["auth.login_failed"] * 5  # a throttled attempt checks nothing
    timed.advance(minutes=10)
    assert login("admin", TEST_PASSWORD).headers["Location"] == "/console/"  # type: ignore[attr-defined]


def test_throttling_one_account_leaves_the_others_alone(app: Flask, login: Callable[..., object], timed: Clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(6):
        login("admin", "wrong password")
    assert _device(app, "manager").get("/console/").status_code == 200


def test_the_user_name_is_throttled_whatever_its_case_or_spaces(login: Callable[..., object], timed: Clock) -> None:  # type: ignore[no-untyped-def]
    for name in ("admin", "ADMIN", " Admin", "admin ", "aDmin"):
        assert login(name, "wrong password").status_code == 401  # type: ignore[attr-defined]
    assert login("admin", TEST_PASSWORD).status_code == 429  # type: ignore[attr-defined]


def test_english_throttling_message(client: FlaskClient, login: Callable[..., object], timed: Clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        login("admin", "wrong password")
    html = login("admin", TEST_PASSWORD, lang="en").get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Too many failed sign-ins: signing in is paused. Try again in 15 minutes." in html


def test_successful_sign_ins_do_not_count(app: Flask, timed: Clock) -> None:
    for _ in range(12):
        device = _device(app, "manager")
        _sign_out(device)
    assert _device(app, "manager").get("/console/").status_code == 200


def test_twenty_failures_from_one_address_throttle_every_name_from_it(app: Flask, client: FlaskClient, login: Callable[..., object],  # type: ignore[no-untyped-def]
                                                                      timed: Clock) -> None:
    for i in range(20):
        assert login(f"guess{i}", "wrong password").status_code == 401  # type: ignore[attr-defined]
    assert login("manager", TEST_PASSWORD).status_code == 429  # type: ignore[attr-defined]
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    page = elsewhere.get("/auth/login")
    response = elsewhere.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "manager", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_the_counts_are_kept_in_the_apps_redis(login: Callable[..., object], timed: Clock, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    login("admin", "wrong password")
    keys = sorted(key.decode() for key in runtime.redis.scan_iter("LIMITS:LIMITER/parking-sign-in/*"))
    window = int(FIXED_NOW.timestamp()) // 900
    assert keys == [f"LIMITS:LIMITER/parking-sign-in/account:admin:{window}/auth.login:account:POST/5/900/second",
                    f"LIMITS:LIMITER/parking-sign-in/address:127.0.0.1:{window}/auth.login:address:POST/20/900/second"]
    assert [int(runtime.redis.get(key) or 0) for key in keys] == [1, 1]
    assert all(0 < runtime.redis.ttl(key) <= 900 for key in keys)
