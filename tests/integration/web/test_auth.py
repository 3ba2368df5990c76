"""Signing in and out: argon2 verification, CSRF on the forms, audit rows, safe redirects."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Operator
from parking.runtime import Runtime
from tests.conftest import TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]


def _audit(runtime: Runtime) -> list[tuple[str, str, object]]:
    with runtime.sessions() as db:
        return [(e.action, e.target, e.detail.get("reason")) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _operator(runtime: Runtime, username: str) -> Operator:
    with runtime.sessions() as db:
        operator = db.scalar(select(Operator).where(Operator.username == username))
        assert operator is not None
        return operator


def test_right_password_signs_in_and_opens_the_dashboard(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    response = login("manager")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    assert "物业经理" in client.get("/console/").get_data(as_text=True)


def test_sign_in_records_last_login_and_an_audit_row(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    assert _operator(runtime, "admin").last_login_at is None
    login("admin")
    assert _operator(runtime, "admin").last_login_at is not None
    assert _audit(runtime) == [("auth.login", "admin", None)]


def test_wrong_password_fails_and_is_audited(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    response = login("admin", "not the password")
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302
    assert _audit(runtime) == [("auth.login_failed", "admin", "wrong_password")]


def test_unknown_user_fails_like_a_wrong_password_and_is_audited(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    response = login("nobody", TEST_PASSWORD)
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.get_data(as_text=True)
    assert _audit(runtime) == [("auth.login_failed", "nobody", "unknown_user")]


def test_deactivated_operator_cannot_sign_in(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db, db.begin():
        db.scalar(select(Operator).where(Operator.username == "attendant")).active = False  # type: ignore[union-attr]
    assert login("attendant").status_code == 401
    assert _audit(runtime) == [("auth.login_failed", "attendant", "inactive")]


def test_deactivating_an_operator_ends_their_session(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    with runtime.sessions() as db, db.begin():
        db.scalar(select(Operator).where(Operator.username == "attendant")).active = False  # type: ignore[union-attr]
    assert client.get("/console/").status_code == 302


def test_login_form_without_csrf_token_is_rejected(client: FlaskClient, runtime: Runtime) -> None:
    response = client.post("/auth/login", data={"username": "admin", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "请求无效，请刷新页面后重试。" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302
    assert _audit(runtime) == []


def test_logout_without_csrf_token_keeps_the_operator_signed_in(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert client.get("/console/").status_code == 200


def test_logout_with_token_signs_out_and_is_audited(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    token = csrf_token(client.get("/console/").get_data(as_text=True))
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/console/").status_code == 302
    assert [action for action, _, _ in _audit(runtime)] == ["auth.login", "auth.logout"]


def test_outdated_password_hash_is_replaced_at_sign_in(client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(TEST_PASSWORD)
    with runtime.sessions() as db, db.begin():
        db.scalar(select(Operator).where(Operator.username == "manager")).password_hash = weak  # type: ignore[union-attr]
    assert login("manager").status_code == 302
    renewed = _operator(runtime, "manager").password_hash
    assert renewed != weak
    assert renewed.startswith("$argon2id$")


def test_sign_in_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    page = client.get("/auth/login?next=/console/lanes")
    response = client.post(
        "/auth/login?next=/console/lanes",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin", "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == "/console/lanes"


def test_sign_in_never_redirects_to_another_site(client: FlaskClient) -> None:
    page = client.get("/auth/login")
    response = client.post(
        "/auth/login?next=//evil.example/steal",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin", "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == "/console/"
