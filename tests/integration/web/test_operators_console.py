"""The operators page (issue 10 item 6): list, create with a temporary password shown once, change role
and sites, disable and enable, reset the password; every change audited with before and after."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Operator, OperatorSite
from parking.passwords import verify_password
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW, TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

TEMPORARY = re.compile(r'<code data-field="temporary-password">([^<]+)</code>')


@pytest.fixture
def admin(app: Flask, client: FlaskClient, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    assert login("admin").status_code == 302
    return client


def _operator(runtime: Runtime, username: str) -> Operator:
    with runtime.sessions() as db:
        found = db.scalar(select(Operator).where(Operator.username == username))
        assert found is not None
        found.sites  # noqa: B018
        return found


def _audit(runtime: Runtime, prefix: str = "operator.") -> list[tuple[str, str, dict]]:
    with runtime.sessions() as db:
        return [(e.action, e.target, e.detail) for e in db.scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def _token(client: FlaskClient) -> str:
    return csrf_token(client.get("/console/operators").get_data(as_text=True))


def _create(client: FlaskClient, **fields: object):  # type: ignore[no-untyped-def]
    data = {"csrf_token": _token(client), "username": "booth", "display_name": "东门值班", "role": "attendant", "password_mode": "generate"}
    data.update(fields)  # type: ignore[arg-type]
    return client.post("/console/operators", data=data)


def _id(runtime: Runtime, username: str) -> int:
    return _operator(runtime, username).id


def test_the_list_shows_role_sites_state_and_last_sign_in_in_the_lots_time_zone(admin: FlaskClient, runtime: Runtime) -> None:
    html = admin.get("/console/operators").get_data(as_text=True)
    row = re.search(r'<tr id="operator-\d+" data-operator="admin">(.*?)</tr>', html, re.S)
    assert row
    assert '<td data-field="role">管理员</td>' in row.group(1)
    assert '<td data-field="sites">全部站点</td>' in row.group(1)
    assert '<td data-field="state">已启用</td>' in row.group(1)
    assert '<td data-field="last-login">2026-11-25 17:30</td>' in row.group(1)  # 09:30 UTC, shown in Shanghai


def test_creating_with_a_generated_password_shows_it_once_and_forces_a_change(admin: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    response = _create(admin, sites=["demo-village"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "已新建操作员“booth”" in html
    found = TEMPORARY.search(html)
    assert found
    booth = _operator(runtime, "booth")
    assert verify_password(booth.password_hash, found.group(1))
    assert (booth.role.value, booth.display_name, booth.must_change_password, [s.site_id for s in booth.sites]) == (
        "attendant", "东门值班", True, [village.site_id])
    assert _audit(runtime) == [("operator.create", "booth", {
        "before": {},
        "after": {"username": "booth", "display_name": "东门值班", "role": "attendant", "sites": ["demo-village"], "active": True,
                  "must_change_password": True},
        "generated_password": True})]
    assert found.group(1) not in admin.get("/console/operators").get_data(as_text=True)  # shown once


def test_creating_with_a_typed_password(admin: FlaskClient, runtime: Runtime) -> None:
    response = _create(admin, password_mode="typed", password="Gate-keeper 2026", confirm="Gate-keeper 2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已使用您输入的临时密码。" in html and not TEMPORARY.search(html)
    assert verify_password(_operator(runtime, "booth").password_hash, "Gate-keeper 2026")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"username": "admin"}, "username", "用户名“admin”已被使用。"),
    ({"username": "two words"}, "username", "用户名须为 2 到 64 个字母、数字或 . _ - @，不能有空格。"),
    ({"username": ""}, "username", "请输入用户名。"),
    ({"username": "x" * 65}, "username", "用户名最多 64 个字符。"),
    ({"role": "superuser"}, "role", "请选择角色。"),
    ({"sites": ["nowhere"]}, "sites", "没有代码为“nowhere”的站点。"),
    ({"display_name": "名" * 101}, "display_name", "显示名称最多 100 个字。"),
    ({"password_mode": "typed", "password": "", "confirm": ""}, "password", "请输入临时密码，或选择生成临时密码。"),
    ({"password_mode": "typed", "password": "Short-1", "confirm": "Short-1"}, "password", "密码至少需要 10 个字符。"),
    ({"password_mode": "typed", "password": "Booth.2026x", "confirm": "Booth.2026y"}, "confirm", "两次输入的密码不一致。"),
    ({"password_mode": "typed", "password": "Booth", "confirm": "Booth"}, "password", "密码至少需要 10 个字符。"),
    ({"password_mode": "sometimes"}, "password_mode", "请选择临时密码的设置方式。"),
])
def test_bad_input_names_the_field_and_creates_nothing(admin: FlaskClient, runtime: Runtime, fields: dict, field: str, message: str) -> None:
    response = _create(admin, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="flash flash-error" data-field="{field}">{message}</p>' in html
    assert _audit(runtime) == []


def test_html_in_a_name_is_escaped(admin: FlaskClient) -> None:
    _create(admin, display_name="<script>alert(1)</script>")
    html = admin.get("/console/operators").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_changing_role_and_sites_is_audited_with_the_changed_fields(admin: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    attendant = _id(runtime, "attendant")
    page = admin.get(f"/console/operators/{attendant}")
    assert page.status_code == 200
    response = admin.post(f"/console/operators/{attendant}", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "display_name": "岗亭值班员", "role": "manager", "sites": ["demo-village"]})
    assert (response.status_code, response.headers["Location"]) == (302, f"/console/operators#operator-{attendant}")
    assert _audit(runtime) == [("operator.update", "attendant", {"before": {"role": "attendant", "sites": []},
                                                                  "after": {"role": "manager", "sites": ["demo-village"]}})]
    again = admin.post(f"/console/operators/{attendant}", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "display_name": "岗亭值班员", "role": "manager"})
    assert again.status_code == 302
    with runtime.sessions() as db:
        assert db.scalars(select(OperatorSite).where(OperatorSite.operator_id == attendant)).all() == []
    assert _audit(runtime)[-1][2] == {"before": {"sites": ["demo-village"]}, "after": {"sites": []}}


def test_the_last_administrator_keeps_the_role(admin: FlaskClient, runtime: Runtime) -> None:
    me = _id(runtime, "admin")
    page = admin.get(f"/console/operators/{me}")
    response = admin.post(f"/console/operators/{me}", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "display_name": "x", "role": "manager"})
    assert response.status_code == 422
    assert '<p class="flash flash-error" data-field="role">“admin”是最后一个启用的管理员，不能停用或改为其他角色。</p>' in response.get_data(as_text=True)
    assert _operator(runtime, "admin").role.value == "admin"


def test_disable_ends_the_accounts_sessions_and_enable_lets_it_sign_in_again(app: Flask, admin: FlaskClient, runtime: Runtime) -> None:
    booth = app.test_client()
    page = booth.get("/auth/login")
    booth.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "attendant", "password": TEST_PASSWORD})
    assert booth.get("/console/").status_code == 200
    attendant = _id(runtime, "attendant")
    response = admin.post(f"/console/operators/{attendant}/disable", data={"csrf_token": _token(admin)})
    assert response.status_code == 302
    assert "已停用操作员“attendant”，其所有登录已失效。" in admin.get("/console/operators").get_data(as_text=True)
    assert booth.get("/console/").status_code == 302
    admin.post(f"/console/operators/{attendant}/enable", data={"csrf_token": _token(admin)})
    assert [(a, d) for a, _, d in _audit(runtime)] == [("operator.disable", {"before": {"active": True}, "after": {"active": False}}),
                                                     ("operator.enable", {"before": {"active": False}, "after": {"active": True}})]
    assert _operator(runtime, "attendant").active is True


def test_an_administrator_cannot_disable_their_own_account(admin: FlaskClient, runtime: Runtime) -> None:
    admin.post(f"/console/operators/{_id(runtime, 'admin')}/disable", data={"csrf_token": _token(admin)})
    assert "不能停用自己的账号。" in admin.get("/console/operators").get_data(as_text=True)
    assert _operator(runtime, "admin").active is True


def test_reset_shows_a_temporary_password_once_and_forces_a_change(app: Flask, admin: FlaskClient, runtime: Runtime, login) -> None:  # type: ignore[no-untyped-def]
    manager = _id(runtime, "manager")
    response = admin.post(f"/console/operators/{manager}/reset-password", data={"csrf_token": _token(admin), "password_mode": "generate"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "已重置“manager”的密码" in html
    found = TEMPORARY.search(html)
    assert found
    assert _audit(runtime) == [("operator.reset_password", "manager", {
        "before": {"must_change_password": False}, "after": {"must_change_password": True}, "generated_password": True})]
    other = app.test_client()
    page = other.get("/auth/login")
    answer = other.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "manager", "password": found.group(1)})
    assert answer.headers["Location"] == "/auth/password?next=/console/"


def test_unknown_operator_is_404(admin: FlaskClient) -> None:
    assert admin.get("/console/operators/999999").status_code == 404
    assert admin.get("/console/operators/99999999999999999999").status_code == 400  # an id no column holds: refused by web.bounds
    assert admin.post("/console/operators/999999/disable", data={"csrf_token": _token(admin)}).status_code == 404


def test_an_auditor_reads_the_page_and_changes_nothing(app: Flask, runtime: Runtime) -> None:
    from parking.services import operators

    with runtime.sessions() as db:
        operators.create_operator(db, "inspector", "auditor", password="Inspector-2026", actor_id=None, now=FIXED_NOW)
        db.scalar(select(Operator).where(Operator.username == "inspector")).must_change_password = False  # type: ignore[union-attr]
        db.commit()
    client = app.test_client()
    page = client.get("/auth/login")
    client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "inspector", "password": "Inspector-2026"})
    html = client.get("/console/operators").get_data(as_text=True)
    assert 'data-operator="admin"' in html
    assert "新建操作员" not in html and "重置密码" not in html
    token = csrf_token(client.get("/console/").get_data(as_text=True))
    assert client.post("/console/operators", data={"csrf_token": token, "username": "x1", "role": "admin", "password_mode": "generate"}).status_code == 403
    assert client.post(f"/console/operators/{_id(runtime, 'manager')}/disable", data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("username", ["manager", "attendant"])
def test_managers_and_attendants_may_not_open_the_page(client: FlaskClient, login, username: str) -> None:  # type: ignore[no-untyped-def]
    login(username)
    assert client.get("/console/operators").status_code == 403
    assert client.get("/console/audit").status_code == 403


def test_english_operators_page(admin: FlaskClient) -> None:
    html = admin.get("/console/operators?lang=en").get_data(as_text=True)
    assert "<title>Operators · Smart Parking</title>" in html
    assert '<td data-field="role">Administrator</td>' in html


def test_last_sign_in_moves_with_the_clock(app: Flask, admin: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(hours=2)
    other = app.test_client()
    page = other.get("/auth/login")
    other.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "manager", "password": TEST_PASSWORD})
    html = admin.get("/console/operators").get_data(as_text=True)
    row = re.search(r'data-operator="manager">(.*?)</tr>', html, re.S)
    assert row and '<td data-field="last-login">2026-11-25 19:30</td>' in row.group(1)
