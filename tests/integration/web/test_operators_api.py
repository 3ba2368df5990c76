"""``/api/v1/operators`` (issue 10 items 6 and 7): list with filters and paging, show, create with a
generated temporary password returned once (or a given one), change role, sites and name, disable, enable
and reset a password, over ``parking.services.operators``: every rule of the console's page (password
policy, last active administrator, no self-disable, forced change, sessions ended), audited with before
and after and no secret; no answer carries a hash. Administrators and ``admin`` tokens change; auditors
read; everyone else is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from parking.models import AuditEvent, Operator
from parking.passwords import verify_password
from parking.runtime import Runtime
from parking.services import operators
from parking.services.tokens import SCOPES, issue_token
from tests.conftest import FIXED_NOW, TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

AUDITOR_PASSWORD = "Inspector-2026"
SIGNED_IN = "2026-11-25T09:30:00+00:00"  # FIXED_NOW, when the fixtures sign in
NOT_ADMIN = [s for s in SCOPES if s != "admin"]


def _error(code: int, status: str, message: str, field: str | None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


@pytest.fixture
def fixed(app: Flask) -> Flask:
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    return app


def _signed_in(app: Flask, username: str, password: str = TEST_PASSWORD) -> FlaskClient:
    client = app.test_client()
    page = client.get("/auth/login")
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username, "password": password})
    assert response.status_code == 302, username
    return client


@pytest.fixture
def admin(fixed: Flask) -> FlaskClient:
    return _signed_in(fixed, "admin")


@pytest.fixture
def auditor(fixed: Flask, runtime: Runtime, village) -> FlaskClient:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        operators.create_operator(db, "inspector", "auditor", password=AUDITOR_PASSWORD, actor_id=None, now=FIXED_NOW)
        db.scalar(select(Operator).where(Operator.username == "inspector")).must_change_password = False  # type: ignore[union-attr]
        db.commit()
    return _signed_in(fixed, "inspector", AUDITOR_PASSWORD)


@pytest.fixture
def token(runtime: Runtime) -> Callable[..., dict[str, str]]:
    def bearer(*scopes: str) -> dict[str, str]:
        with runtime.sessions() as db:
            return {"Authorization": f"Bearer {issue_token(db, name='HR sync', scopes=scopes, now=FIXED_NOW).secret}"}

    return bearer


def _id(runtime: Runtime, username: str) -> int:
    with runtime.sessions() as db:
        found = db.scalar(select(Operator.id).where(Operator.username == username))
        assert found is not None, username
        return found


def _operator(runtime: Runtime, username: str) -> Operator:
    with runtime.sessions() as db:
        found = db.scalar(select(Operator).where(Operator.username == username))
        assert found is not None, username
        return found


def _audit(runtime: Runtime) -> list[tuple[str, int | None, str, dict[str, Any]]]:
    with runtime.sessions() as db:
        return [(e.action, e.operator_id, e.target, e.detail) for e in
                db.scalars(select(AuditEvent).where(AuditEvent.action.startswith("operator.")).order_by(AuditEvent.id))]


def _count(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(Operator)) or 0


def _seeded(username: str, display_name: str, role: str, *, last_login_at: str | None = None) -> dict[str, object]:
    return {"username": username, "display_name": display_name, "role": role, "sites": [], "active": True, "must_change_password": False,
            "last_login_at": last_login_at}


def _without_created(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The seeded accounts were made at the wall clock's time: their ``created_at`` is checked apart."""
    return [{k: v for k, v in item.items() if k not in {"id", "created_at"}} for item in items]


# -- reading ---------------------------------------------------------------------------------------------


def test_the_list_shows_every_account_by_user_name_without_secrets(admin: FlaskClient, runtime: Runtime) -> None:
    response = admin.get("/api/v1/operators")
    body = response.get_json()
    assert response.status_code == 200
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 50, 3, 1)
    assert _without_created(body["items"]) == [
        _seeded("admin", "系统管理员", "admin", last_login_at=SIGNED_IN),
        _seeded("attendant", "岗亭值班员", "attendant"),
        _seeded("manager", "物业经理", "manager"),
    ]
    assert [item["id"] for item in body["items"]] == [_id(runtime, "admin"), _id(runtime, "attendant"), _id(runtime, "manager")]
    assert sorted(body["items"][0]) == ["active", "created_at", "display_name", "id", "last_login_at", "must_change_password", "role",
                                        "sites", "username"]
    assert "argon2" not in response.get_data(as_text=True)


def test_one_account(admin: FlaskClient, runtime: Runtime) -> None:
    with runtime.sessions() as db:
        booth = operators.create_operator(db, "booth", "attendant", password="Booth-gate 2026", display_name="东门值班",
                                          sites=["demo-village"], actor_id=None, now=FIXED_NOW).operator
    response = admin.get(f"/api/v1/operators/{booth.id}")
    assert response.status_code == 200
    assert response.get_json() == {"id": booth.id, "username": "booth", "display_name": "东门值班", "role": "attendant", "sites": ["demo-village"],
                                   "active": True, "must_change_password": True, "last_login_at": None, "created_at": SIGNED_IN}
    missing = admin.get("/api/v1/operators/999999")
    assert missing.status_code == 404
    assert missing.get_json() == _error(404, "Not Found", "operator 999999 not found", "operator_id")


def test_the_documented_account_has_no_secret_and_a_reset_needs_no_body(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    shown = ["active", "created_at", "display_name", "id", "last_login_at", "must_change_password", "role", "sites", "username"]
    assert sorted(schemas["Operator"]["properties"]) == shown
    assert sorted(schemas["IssuedOperator"]["properties"]) == sorted([*shown, "temporary_password"])
    assert document["paths"]["/api/v1/operators/{operator_id}/reset-password"]["post"]["requestBody"]["required"] is False


@pytest.fixture
def accounts(runtime: Runtime, village) -> None:  # type: ignore[no-untyped-def]
    """Two more accounts: ``booth`` bound to the demo village, ``old.booth`` disabled."""
    with runtime.sessions() as db:
        operators.create_operator(db, "booth", "attendant", password="Booth-gate 2026", sites=["demo-village"], actor_id=None, now=FIXED_NOW)
        old = operators.create_operator(db, "old.booth", "attendant", password="Booth-gate 2026", actor_id=None, now=FIXED_NOW)
        operators.set_active(db, old.operator.id, False, actor_id=None, now=FIXED_NOW)


@pytest.mark.parametrize(("query", "usernames"), [
    ("", ["admin", "attendant", "booth", "manager", "old.booth"]),
    ("?role=attendant", ["attendant", "booth", "old.booth"]),
    ("?role=auditor", []),
    ("?active=false", ["old.booth"]),
    ("?active=true&role=attendant", ["attendant", "booth"]),
    ("?site=demo-village", ["booth"]),
    ("?per_page=2", ["admin", "attendant"]),
    ("?per_page=2&page=3", ["old.booth"]),
    ("?per_page=2&page=4", []),
])
def test_filters_and_paging(admin: FlaskClient, accounts: None, query: str, usernames: list[str]) -> None:
    response = admin.get("/api/v1/operators" + query)
    assert response.status_code == 200
    assert [item["username"] for item in response.get_json()["items"]] == usernames


def test_a_page_says_where_it_is(admin: FlaskClient, accounts: None) -> None:
    body = admin.get("/api/v1/operators?per_page=2&page=4").get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (4, 2, 5, 3)


@pytest.mark.parametrize(("query", "field", "message"), [
    ("role=king", "role", "role: Must be one of: admin, manager, attendant, auditor."),
    ("active=maybe", "active", "active: Not a valid boolean."),
    ("site=nowhere", "site", "site: no site 'nowhere' (sites: demo-village)"),
    ("site=" + "x" * 33, "site", "site: Longer than maximum length 32."),
    ("page=0", "page", "page: Must be greater than or equal to 1 and less than or equal to 100000."),
    ("per_page=201", "per_page", "per_page: Must be greater than or equal to 1 and less than or equal to 200."),
])
def test_a_bad_filter_is_422_naming_it(admin: FlaskClient, query: str, field: str, message: str) -> None:
    response = admin.get(f"/api/v1/operators?{query}")
    assert response.status_code == 422
    assert response.get_json() == _error(422, "Unprocessable Entity", message, field)


# -- creating --------------------------------------------------------------------------------------------


def test_creating_with_a_generated_password_returns_it_once(admin: FlaskClient, runtime: Runtime) -> None:
    response = admin.post("/api/v1/operators", json={"username": "booth", "display_name": "东门值班", "role": "attendant", "sites": ["demo-village"]})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    temporary = body.pop("temporary_password")
    booth = _operator(runtime, "booth")
    assert body == {"id": booth.id, "username": "booth", "display_name": "东门值班", "role": "attendant", "sites": ["demo-village"],
                    "active": True, "must_change_password": True, "last_login_at": None, "created_at": SIGNED_IN}
    assert len(temporary) == 14 and verify_password(booth.password_hash, temporary)
    assert booth.must_change_password is True
    shown_again = admin.get(f"/api/v1/operators/{booth.id}")
    assert "temporary_password" not in shown_again.get_json() and temporary not in shown_again.get_data(as_text=True)
    assert temporary not in admin.get("/api/v1/operators").get_data(as_text=True)
    assert _audit(runtime) == [("operator.create", _id(runtime, "admin"), "booth", {
        "before": {}, "after": {"username": "booth", "display_name": "东门值班", "role": "attendant", "sites": ["demo-village"], "active": True,
                                "must_change_password": True},
        "generated_password": True})]


def test_the_new_account_must_change_its_password_at_first_sign_in(app: Flask, admin: FlaskClient) -> None:
    temporary = admin.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}).get_json()["temporary_password"]
    client = app.test_client()
    page = client.get("/auth/login")
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "booth", "password": temporary})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/password")


def test_creating_with_a_given_password_returns_none(admin: FlaskClient, runtime: Runtime) -> None:
    response = admin.post("/api/v1/operators", json={"username": "chief2", "role": "admin", "password": "Second-chief 2026"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["username"], body["display_name"], body["role"], body["sites"], body["temporary_password"]) == ("chief2", "chief2", "admin", [], None)
    assert "Second-chief 2026" not in response.get_data(as_text=True)
    assert verify_password(_operator(runtime, "chief2").password_hash, "Second-chief 2026")
    assert _audit(runtime)[0][3]["generated_password"] is False
    assert "Second-chief 2026" not in str(_audit(runtime))


@pytest.mark.parametrize(("body", "status", "field", "message"), [
    ({"role": "attendant"}, 422, "username", "username: Missing data for required field."),
    ({"username": "booth"}, 422, "role", "role: Missing data for required field."),
    ({"username": "a b", "role": "attendant"}, 422, "username", "username: 'a b' must be 2 to 64 letters, digits or . _ - @ (no spaces)"),
    ({"username": "x" * 65, "role": "attendant"}, 422, "username", "username: Longer than maximum length 64."),
    ({"username": "ADMIN", "role": "attendant"}, 409, "username", "username: 'ADMIN' is already taken"),
    ({"username": "booth", "role": "king"}, 422, "role", "role: Must be one of: admin, manager, attendant, auditor."),
    ({"username": "booth", "role": "attendant", "sites": ["nowhere"]}, 422, "sites", "sites: no site 'nowhere' (sites: demo-village)"),
    ({"username": "booth", "role": "attendant", "sites": "demo-village"}, 422, "sites", "sites: Not a valid list."),
    ({"username": "booth", "role": "attendant", "display_name": "x" * 101}, 422, "display_name", "display_name: Longer than maximum length 100."),
    ({"username": "booth", "role": "attendant", "password": "short"}, 422, "password", "password must have at least 10 characters, got 5"),
    ({"username": "booth", "role": "attendant", "password": "onlylowercase"}, 422, "password",
     "password must mix at least two kinds of characters: lower-case letters, upper-case letters, digits, other characters"),
    ({"username": "booth.gate", "role": "attendant", "password": "BOOTH.GATE"}, 422, "password", "password must not be the user name"),
    ({"username": "booth", "role": "attendant", "password": 12345678901}, 422, "password", "password: Not a valid string."),
])
def test_a_bad_account_is_refused_naming_the_field_and_nothing_is_written(admin: FlaskClient, runtime: Runtime, body: dict[str, object],
                                                                         status: int, field: str, message: str) -> None:
    response = admin.post("/api/v1/operators", json=body)
    assert response.status_code == status
    assert response.get_json() == _error(status, {409: "Conflict", 422: "Unprocessable Entity"}[status], message, field)
    assert _count(runtime) == 3
    assert _audit(runtime) == []


# -- changing --------------------------------------------------------------------------------------------


def test_changing_role_sites_and_name_is_audited_with_before_and_after(admin: FlaskClient, runtime: Runtime) -> None:
    attendant = _id(runtime, "attendant")
    response = admin.patch(f"/api/v1/operators/{attendant}", json={"role": "manager", "sites": ["demo-village"], "display_name": "  东门  班长 "})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["username"], body["role"], body["sites"], body["display_name"]) == ("attendant", "manager", ["demo-village"], "东门 班长")
    assert _audit(runtime) == [("operator.update", _id(runtime, "admin"), "attendant", {
        "before": {"display_name": "岗亭值班员", "role": "attendant", "sites": []},
        "after": {"display_name": "东门 班长", "role": "manager", "sites": ["demo-village"]}})]
    unbound = admin.patch(f"/api/v1/operators/{attendant}", json={"sites": []})
    assert unbound.get_json()["sites"] == []
    assert _audit(runtime)[-1][3] == {"before": {"sites": ["demo-village"]}, "after": {"sites": []}}


def test_a_change_that_changes_nothing_records_nothing(admin: FlaskClient, runtime: Runtime) -> None:
    attendant = _id(runtime, "attendant")
    for body in ({}, {"role": "attendant"}, {"display_name": "岗亭值班员", "sites": []}):
        response = admin.patch(f"/api/v1/operators/{attendant}", json=body)
        assert response.status_code == 200
        assert response.get_json()["role"] == "attendant"
    assert _audit(runtime) == []


@pytest.mark.parametrize(("body", "status", "field", "message"), [
    ({"role": "manager"}, 409, "role", "'admin' is the last active administrator; make another account an administrator first"),
    ({"role": "boss"}, 422, "role", "role: Must be one of: admin, manager, attendant, auditor."),
    ({"sites": ["demo-village", "nowhere"]}, 422, "sites", "sites: no site 'nowhere' (sites: demo-village)"),
    ({"sites": None}, 422, "sites", "sites: Field may not be null."),
    ({"display_name": "名" * 101}, 422, "display_name", "display_name: Longer than maximum length 100."),
])
def test_a_bad_change_is_refused_naming_the_field(admin: FlaskClient, runtime: Runtime, body: dict[str, object], status: int, field: str,
                                                 message: str) -> None:
    response = admin.patch(f"/api/v1/operators/{_id(runtime, 'admin')}", json=body)
    assert response.status_code == status
    assert response.get_json()["error"] == {"code": status, "status": {409: "Conflict", 422: "Unprocessable Entity"}[status],
                                            "message": message, "field": field}
    assert _operator(runtime, "admin").role.value == "admin"
    assert _audit(runtime) == []


def test_changing_an_account_that_does_not_exist_is_404(admin: FlaskClient) -> None:
    for method, path in (("PATCH", ""), ("POST", "/disable"), ("POST", "/enable"), ("POST", "/reset-password")):
        response = admin.open(f"/api/v1/operators/424242{path}", method=method, json={})
        assert response.get_json() == _error(404, "Not Found", "operator 424242 not found", "operator_id"), path


# -- disabling, enabling ---------------------------------------------------------------------------------


def test_disabling_ends_the_accounts_sessions_and_enabling_lets_it_back(app: Flask, admin: FlaskClient, runtime: Runtime) -> None:
    attendant = _id(runtime, "attendant")
    booth = _signed_in(app, "attendant")
    assert booth.get("/api/v1/lots").status_code == 200
    response = admin.post(f"/api/v1/operators/{attendant}/disable")
    assert response.status_code == 200
    assert (response.get_json()["username"], response.get_json()["active"]) == ("attendant", False)
    assert booth.get("/api/v1/lots").status_code == 401
    again = admin.post(f"/api/v1/operators/{attendant}/disable")  # already so: nothing recorded twice
    assert (again.status_code, again.get_json()["active"]) == (200, False)
    enabled = admin.post(f"/api/v1/operators/{attendant}/enable")
    assert (enabled.status_code, enabled.get_json()["active"]) == (200, True)
    admin_id = _id(runtime, "admin")
    assert _audit(runtime) == [("operator.disable", admin_id, "attendant", {"before": {"active": True}, "after": {"active": False}}),
                               ("operator.enable", admin_id, "attendant", {"before": {"active": False}, "after": {"active": True}})]
    assert _signed_in(app, "attendant").get("/api/v1/lots").status_code == 200


def test_an_administrator_cannot_disable_their_own_account(admin: FlaskClient, runtime: Runtime) -> None:
    admin.post("/api/v1/operators", json={"username": "chief2", "role": "admin", "password": "Second-chief 2026"})
    response = admin.post(f"/api/v1/operators/{_id(runtime, 'admin')}/disable")
    assert response.status_code == 409
    assert response.get_json() == _error(409, "Conflict", "an administrator cannot disable their own account", "operator_id")
    assert _operator(runtime, "admin").active is True


def test_an_administrator_cannot_reset_their_own_password(admin: FlaskClient, runtime: Runtime) -> None:
    before = _operator(runtime, "admin").password_hash
    response = admin.post(f"/api/v1/operators/{_id(runtime, 'admin')}/reset-password")
    assert response.status_code == 409
    assert response.get_json() == _error(409, "Conflict", "an administrator changes their own password on the password page, not by a reset",
                                         "operator_id")
    assert (_operator(runtime, "admin").password_hash, admin.get("/api/v1/operators").status_code) == (before, 200)


def test_the_last_active_administrator_cannot_be_disabled(runtime: Runtime, client: FlaskClient, token: Callable[..., dict[str, str]]) -> None:
    response = client.post(f"/api/v1/operators/{_id(runtime, 'admin')}/disable", headers=token("admin"))
    assert response.status_code == 409
    assert response.get_json() == _error(409, "Conflict", "'admin' is the last active administrator; make another account an administrator first",
                                         "operator_id")
    assert _operator(runtime, "admin").active is True


# -- resetting a password --------------------------------------------------------------------------------


def test_a_reset_returns_the_temporary_password_once_forces_a_change_and_ends_sessions(app: Flask, admin: FlaskClient, runtime: Runtime) -> None:
    manager = _id(runtime, "manager")
    signed_in = _signed_in(app, "manager")
    response = admin.post(f"/api/v1/operators/{manager}/reset-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    temporary = body.pop("temporary_password")
    assert (body["username"], body["must_change_password"], body["active"]) == ("manager", True, True)
    stored = _operator(runtime, "manager")
    assert verify_password(stored.password_hash, temporary) and not verify_password(stored.password_hash, TEST_PASSWORD)
    assert signed_in.get("/api/v1/lots").status_code == 401
    assert temporary not in admin.get(f"/api/v1/operators/{manager}").get_data(as_text=True)
    assert _audit(runtime) == [("operator.reset_password", _id(runtime, "admin"), "manager",
                                {"before": {"must_change_password": False}, "after": {"must_change_password": True}, "generated_password": True})]


def test_a_reset_to_a_given_password(admin: FlaskClient, runtime: Runtime) -> None:
    response = admin.post(f"/api/v1/operators/{_id(runtime, 'manager')}/reset-password", json={"password": "Manager-temp 42"})
    assert response.status_code == 200
    assert response.get_json()["temporary_password"] is None
    assert verify_password(_operator(runtime, "manager").password_hash, "Manager-temp 42")
    assert _audit(runtime)[0][3]["generated_password"] is False


def test_a_reset_to_a_password_breaking_the_policy_is_422_and_changes_nothing(admin: FlaskClient, runtime: Runtime) -> None:
    response = admin.post(f"/api/v1/operators/{_id(runtime, 'manager')}/reset-password", json={"password": "manager"})
    assert response.get_json() == _error(422, "Unprocessable Entity", "password must have at least 10 characters, got 7", "password")
    stored = _operator(runtime, "manager")
    assert verify_password(stored.password_hash, TEST_PASSWORD) and stored.must_change_password is False
    assert _audit(runtime) == []


# -- who may ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["manager", "attendant"])
def test_managers_and_attendants_are_refused(fixed: Flask, runtime: Runtime, username: str) -> None:
    client = _signed_in(fixed, username)
    attendant = _id(runtime, "attendant")
    answers = [client.get("/api/v1/operators"), client.get(f"/api/v1/operators/{attendant}"),
               client.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}),
               client.patch(f"/api/v1/operators/{attendant}", json={"role": "admin"}),
               client.post(f"/api/v1/operators/{attendant}/disable"), client.post(f"/api/v1/operators/{attendant}/enable"),
               client.post(f"/api/v1/operators/{attendant}/reset-password")]
    assert {response.status_code for response in answers} == {403}
    assert answers[0].get_json() == _error(403, "Forbidden", f"role {username!r} may not use this resource; allowed: admin", None)
    assert _count(runtime) == 3 and _operator(runtime, "attendant").role.value == "attendant"


def test_an_auditor_reads_accounts_and_changes_none(auditor: FlaskClient, runtime: Runtime) -> None:
    attendant = _id(runtime, "attendant")
    assert [item["username"] for item in auditor.get("/api/v1/operators").get_json()["items"]] == ["admin", "attendant", "inspector", "manager"]
    assert auditor.get(f"/api/v1/operators/{attendant}").get_json()["username"] == "attendant"
    refused = [auditor.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}),
               auditor.patch(f"/api/v1/operators/{attendant}", json={"role": "admin"}),
               auditor.post(f"/api/v1/operators/{attendant}/disable"), auditor.post(f"/api/v1/operators/{attendant}/enable"),
               auditor.post(f"/api/v1/operators/{attendant}/reset-password")]
    assert [response.status_code for response in refused] == [403] * 5
    assert refused[0].get_json() == _error(403, "Forbidden", "role 'auditor' may not use this resource; allowed: admin", None)
    assert _count(runtime) == 4 and _operator(runtime, "attendant").active is True


def test_someone_not_signed_in_is_401(client: FlaskClient, village) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/operators").status_code == 401
    assert client.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}).status_code == 401


def test_a_token_with_the_admin_scope_manages_accounts_and_is_named_in_the_audit(client: FlaskClient, runtime: Runtime, fixed: Flask,
                                                                                token: Callable[..., dict[str, str]]) -> None:
    headers = token("admin")
    created = client.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}, headers=headers)
    assert created.status_code == 201
    booth = created.get_json()["id"]
    assert client.get("/api/v1/operators?role=attendant", headers=headers).get_json()["total"] == 2
    assert client.patch(f"/api/v1/operators/{booth}", json={"display_name": "东门"}, headers=headers).get_json()["display_name"] == "东门"
    assert client.post(f"/api/v1/operators/{booth}/disable", headers=headers).get_json()["active"] is False
    assert client.post(f"/api/v1/operators/{booth}/enable", headers=headers).get_json()["active"] is True
    assert client.post(f"/api/v1/operators/{booth}/reset-password", headers=headers).get_json()["must_change_password"] is True
    rows = _audit(runtime)
    assert [(action, operator_id, target) for action, operator_id, target, _ in rows] == [
        ("operator.create", None, "booth"), ("operator.update", None, "booth"), ("operator.disable", None, "booth"),
        ("operator.enable", None, "booth"), ("operator.reset_password", None, "booth")]
    assert {detail["token"]["name"] for *_, detail in rows} == {"HR sync"}


def test_a_token_without_the_admin_scope_is_refused(client: FlaskClient, runtime: Runtime, token: Callable[..., dict[str, str]]) -> None:
    headers = token(*NOT_ADMIN)
    prefix = headers["Authorization"].removeprefix("Bearer ")[:11]  # pk_ and 8 characters name the token
    attendant = _id(runtime, "attendant")
    answers = [client.get("/api/v1/operators", headers=headers), client.get(f"/api/v1/operators/{attendant}", headers=headers),
               client.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}, headers=headers),
               client.patch(f"/api/v1/operators/{attendant}", json={"role": "admin"}, headers=headers),
               client.post(f"/api/v1/operators/{attendant}/disable", headers=headers),
               client.post(f"/api/v1/operators/{attendant}/enable", headers=headers),
               client.post(f"/api/v1/operators/{attendant}/reset-password", headers=headers)]
    assert [response.status_code for response in answers] == [403] * 7
    assert answers[2].get_json() == _error(403, "Forbidden", f"API token {prefix} lacks the scope 'admin' this resource needs "
                                                             f"(it has: {', '.join(NOT_ADMIN)})", None)
    assert _count(runtime) == 3 and _operator(runtime, "attendant").role.value == "attendant"
    assert verify_password(_operator(runtime, "attendant").password_hash, TEST_PASSWORD)
