"""Integration tokens over HTTP: ``/api/v1/tokens`` for administrators, and a request made with
``Authorization: Bearer`` answered 401 (bad, revoked, expired), 403 (scope missing, or a route that takes
no token) or served, with the token as the caller, no CSRF token and the token named in the audit log."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from flask_login import current_user
from sqlalchemy import select

from parking.models import ApiToken, AuditEvent, Operator
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.tokens import SCOPES, issue_token
from tests.conftest import FIXED_NOW, Clock
from web.auth.roles import roles_required
from web.auth.tokens import actor

pytestmark = [pytest.mark.database, pytest.mark.redis]

TOKEN = re.compile(r"pk_[A-Za-z0-9_-]{32}")
SCOPE_LIST = ("availability:read, lots:read, sessions:read, passes:read, passes:write, lanes:read, lanes:write, "
              "payments:read, payments:write, reports:read, shifts:read, shifts:write, coupons:read, coupons:write, admin")


@pytest.fixture
def clocked(app: Flask, clock: Clock) -> Clock:
    app.config["PARKING_CLOCK"] = clock
    return clock


@pytest.fixture
def issue(runtime: Runtime) -> Callable[..., str]:
    """Issue a token with ``scopes`` at ``FIXED_NOW`` through the service, as ``parking token create`` does."""

    def make(*scopes: str, expires_days: int | None = None, name: str = "ETCP bridge") -> str:
        with runtime.sessions() as db:
            return issue_token(db, name=name, scopes=scopes, now=FIXED_NOW, expires_days=expires_days).secret

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error(code: int, status: str, message: str, field: str | None = None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


def _audit(runtime: Runtime) -> list[tuple[str, int | None, dict[str, object]]]:
    with runtime.sessions() as db:
        return [(e.action, e.operator_id, e.detail) for e in db.scalars(select(AuditEvent).where(AuditEvent.action.like("token.%")).order_by(AuditEvent.id))]


def _operator_id(runtime: Runtime, username: str) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(Operator.id).where(Operator.username == username))  # type: ignore[return-value]


# -- managing tokens ----------------------------------------------------------------------------------------


def test_admin_issues_a_token_shown_once_and_stored_only_as_its_hash(client: FlaskClient, login, runtime: Runtime, clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    response = client.post("/api/v1/tokens", json={"name": "ETCP bridge", "scopes": ["lanes:write", "lanes:read"], "expires_days": 30})
    assert response.status_code == 201
    body = response.get_json()
    secret = body.pop("token")
    assert TOKEN.fullmatch(secret)
    admin_id = _operator_id(runtime, "admin")
    assert body == {
        "id": 1, "name": "ETCP bridge", "prefix": secret[:11], "scopes": ["lanes:read", "lanes:write"], "state": "active",
        "created_by_id": admin_id, "created_at": "2026-11-25T09:30:00+00:00", "expires_at": "2026-12-25T09:30:00+00:00",
        "revoked_at": None, "last_used_at": None,
    }
    with runtime.sessions() as db:
        assert db.scalar(select(ApiToken.token_hash)) == hashlib.sha256(secret.encode()).hexdigest()
    listed = client.get("/api/v1/tokens")
    shown = client.get("/api/v1/tokens/1")
    assert listed.get_json() == [body] and shown.get_json() == body
    assert secret not in listed.get_data(as_text=True) + shown.get_data(as_text=True)
    assert _audit(runtime) == [("token.create", admin_id, {"name": "ETCP bridge", "prefix": secret[:11], "scopes": ["lanes:read", "lanes:write"],
                                                          "expires_at": "2026-12-25T09:30:00+00:00"})]


def test_the_issued_token_opens_what_its_scopes_open(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    secret = client.post("/api/v1/tokens", json={"name": "lot board", "scopes": ["lots:read"]}).get_json()["token"]
    anonymous = client.application.test_client()  # no session cookie: the token alone
    assert anonymous.get("/api/v1/lots", headers=bearer(secret)).status_code == 200
    assert [lot["code"] for lot in anonymous.get("/api/v1/lots", headers=bearer(secret)).get_json()] == ["hx-community", "kj-office"]


@pytest.mark.parametrize(("body", "message", "field"), [
    ({"scopes": ["lots:read"]}, "name: Missing data for required field.", "name"),
    ({"name": "", "scopes": ["lots:read"]}, "name: Length must be between 1 and 100.", "name"),
    ({"name": "   ", "scopes": ["lots:read"]}, "name: must not be empty: say what the token is for, e.g. the integration's name", "name"),
    ({"name": "x"}, "scopes: Missing data for required field.", "scopes"),
    ({"name": "x", "scopes": []}, f"scopes: Length must be between 1 and {len(SCOPES)}.", "scopes"),
    ({"name": "x", "scopes": ["gates:open"]}, f"scopes.0: Must be one of: {SCOPE_LIST}.", "scopes.0"),
    ({"name": "x", "scopes": ["lots:read"], "expires_days": 0}, "expires_days: Must be greater than or equal to 1 and less than or equal to 3650.", "expires_days"),
    ({"name": "x", "scopes": ["lots:read"], "expires_days": "soon"}, "expires_days: Not a valid integer.", "expires_days"),
])
def test_a_bad_token_request_is_422_naming_the_field_and_issues_nothing(client: FlaskClient, login, runtime: Runtime, body, message: str, field: str) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    response = client.post("/api/v1/tokens", json=body)
    assert (response.status_code, response.get_json()) == (422, _error(422, "Unprocessable Entity", message, field))
    with runtime.sessions() as db:
        assert db.scalars(select(ApiToken)).all() == []


def test_revoking_ends_the_token_and_is_audited_once(client: FlaskClient, login, runtime: Runtime, issue, clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lots:read")
    login("admin")
    clocked.advance(hours=1)
    response = client.delete("/api/v1/tokens/1")
    assert response.status_code == 200
    assert (response.get_json()["state"], response.get_json()["revoked_at"]) == ("revoked", "2026-11-25T10:30:00+00:00")
    clocked.advance(hours=1)
    again = client.delete("/api/v1/tokens/1")
    assert (again.status_code, again.get_json()["revoked_at"]) == (200, "2026-11-25T10:30:00+00:00")
    assert [(action, operator) for action, operator, _ in _audit(runtime)] == [("token.create", None), ("token.revoke", _operator_id(runtime, "admin"))]
    refused = client.application.test_client().get("/api/v1/lots", headers=bearer(secret))
    assert refused.status_code == 401


def test_an_unknown_token_id_is_404_naming_it(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    assert client.get("/api/v1/tokens/9").get_json() == _error(404, "Not Found", "token 9 not found", "token_id")
    assert client.delete("/api/v1/tokens/9").get_json() == _error(404, "Not Found", "token 9 not found", "token_id")


@pytest.mark.parametrize("username", ["manager", "attendant"])
def test_only_administrators_manage_tokens(client: FlaskClient, login, issue, username: str) -> None:  # type: ignore[no-untyped-def]
    issue("lots:read")
    login(username)
    message = f"role {username!r} may not use this resource; allowed: admin"
    for response in (client.get("/api/v1/tokens"), client.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]}), client.delete("/api/v1/tokens/1")):
        assert response.get_json() == _error(403, "Forbidden", message)


def test_a_token_with_the_admin_scope_manages_tokens_and_is_named_in_the_audit(client: FlaskClient, runtime: Runtime, issue) -> None:  # type: ignore[no-untyped-def]
    admin = issue("admin", name="provisioning")
    response = client.post("/api/v1/tokens", json={"name": "gate bridge", "scopes": ["lanes:write"]}, headers=bearer(admin))
    assert response.status_code == 201
    assert response.get_json()["created_by_id"] is None
    assert client.delete("/api/v1/tokens/2", headers=bearer(admin)).get_json()["state"] == "revoked"
    by_token = {"id": 1, "name": "provisioning", "prefix": admin[:11]}
    assert [(action, operator, detail.get("token")) for action, operator, detail in _audit(runtime)] == [
        ("token.create", None, None), ("token.create", None, by_token), ("token.revoke", None, by_token),
    ]


# -- 401 and 403 --------------------------------------------------------------------------------------------


def test_a_bearer_header_without_a_token_is_401_saying_so(client: FlaskClient) -> None:
    response = client.get("/api/v1/lots", headers={"Authorization": "Bearer"})
    assert response.get_json() == _error(401, "Unauthorized", "the Authorization header says Bearer but carries no token: send 'Authorization: Bearer pk_…'")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="parking", error="invalid_request", error_description="no token"'


@pytest.mark.parametrize(("token", "message", "reason"), [
    ("not-a-token", "the bearer token is not a parking API token (pk_ and 32 characters)", "malformed"),
    ("pk_" + "A" * 32, "unknown API token: it was mistyped, or never issued here", "unknown"),
])
def test_a_token_never_issued_is_401(client: FlaskClient, issue, token: str, message: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    issue("admin")
    response = client.get("/api/v1/lots", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json() == _error(401, "Unauthorized", message)
    assert response.headers["WWW-Authenticate"] == f'Bearer realm="parking", error="invalid_token", error_description="token {reason}"'


def test_an_expired_token_is_401_from_its_expiry_on(client: FlaskClient, issue, clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lots:read", expires_days=7)
    clocked.advance(days=7, seconds=-1)
    assert client.get("/api/v1/lots", headers=bearer(secret)).status_code == 200
    clocked.advance(seconds=1)
    response = client.get("/api/v1/lots", headers=bearer(secret))
    assert response.get_json() == _error(401, "Unauthorized", f"API token {secret[:11]} expired at 2026-12-02T09:30:00+00:00")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="parking", error="invalid_token", error_description="token expired"'


def test_a_revoked_token_is_401_saying_when(client: FlaskClient, login, issue, clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lots:read")
    login("admin")
    client.delete("/api/v1/tokens/1")
    response = client.application.test_client().get("/api/v1/lots", headers=bearer(secret))
    assert response.get_json() == _error(401, "Unauthorized", f"API token {secret[:11]} was revoked at 2026-11-25T09:30:00+00:00")


def test_a_token_without_the_scope_is_403_naming_it(client: FlaskClient, issue, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lanes:read", "lots:read")
    response = client.post(f"/api/v1/lanes/{village.lane('east-in').id}/commands", json={"action": "open", "reason": "visitor"}, headers=bearer(secret))
    assert response.get_json() == _error(403, "Forbidden", f"API token {secret[:11]} lacks the scope 'lanes:write' this resource needs (it has: lots:read, lanes:read)")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="parking", error="insufficient_scope", scope="lanes:write"'


def test_a_token_is_refused_on_every_console_page_even_beside_a_session(client: FlaskClient, login, issue) -> None:  # type: ignore[no-untyped-def]
    secret = issue("admin")
    assert client.get("/console/", headers=bearer(secret)).status_code == 403
    login("admin")
    assert client.get("/console/").status_code == 200
    assert client.get("/console/", headers=bearer(secret)).status_code == 403
    assert client.get("/console/sessions", headers=bearer(secret)).status_code == 403


def test_with_a_bearer_header_the_session_cookie_is_not_looked_at(client: FlaskClient, login, issue) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lots:read")
    login("admin")
    assert client.get("/api/v1/passes").status_code == 200
    assert client.get("/api/v1/passes", headers=bearer(secret)).get_json()["error"]["message"] == (
        f"API token {secret[:11]} lacks the scope 'passes:read' this resource needs (it has: lots:read)")


def test_a_route_without_a_scope_takes_no_token(app: Flask, issue) -> None:  # type: ignore[no-untyped-def]
    app.add_url_rule("/api/v1/operators-only", "operators_only", roles_required()(lambda: jsonify(ok=True)))
    secret = issue("admin")
    response = app.test_client().get("/api/v1/operators-only", headers=bearer(secret))
    assert response.get_json() == _error(403, "Forbidden", "GET /api/v1/operators-only does not accept API tokens: it is for operators signed in to the console")


# -- the token as the caller ----------------------------------------------------------------------------------


def test_during_a_token_request_the_caller_is_the_token_and_no_cookie_is_set(app: Flask, issue) -> None:  # type: ignore[no-untyped-def]
    def who() -> object:
        return jsonify(id=current_user.id, role=current_user.role, name=current_user.display_name, actor=list(actor()))

    app.add_url_rule("/api/v1/who", "who", roles_required(scope="lots:read")(who))
    secret = issue("lots:read")
    response = app.test_client().get("/api/v1/who", headers=bearer(secret))
    assert response.get_json() == {"id": None, "role": "token", "name": "ETCP bridge", "actor": [None, 1]}
    assert "Set-Cookie" not in response.headers


def test_a_bearer_request_needs_no_csrf_token_and_a_session_still_does(app: Flask, client: FlaskClient, login, issue) -> None:  # type: ignore[no-untyped-def]
    assert app.config["WTF_CSRF_ENABLED"] is True
    admin = issue("admin")
    assert client.post("/api/v1/tokens", json={"name": "x", "scopes": ["lots:read"]}, headers=bearer(admin)).status_code == 201
    login("admin")
    assert client.post("/auth/logout").status_code == 400  # a form without its CSRF token is still refused
    assert client.post("/auth/logout", headers=bearer(admin)).status_code == 400  # a token changes nothing outside /api/


def test_a_gate_opened_with_a_token_is_audited_naming_the_token_and_no_operator(client: FlaskClient, runtime: Runtime, issue, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lanes:write", name="booth tablet")
    lane = village.lane("east-in")
    response = client.post(f"/api/v1/lanes/{lane.id}/commands", json={"action": "open", "reason": "visitor"}, headers=bearer(secret))
    assert response.status_code == 503  # no agent runs in this test: refused for that, not for the token
    with runtime.sessions() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action.like("lane.%"))).one()
    assert (event.action, event.operator_id, event.detail["token"]) == ("lane.open", None, {"id": 1, "name": "booth tablet", "prefix": secret[:11]})


def test_use_is_stamped_at_most_once_a_minute(client: FlaskClient, runtime: Runtime, issue, clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    secret = issue("lots:read")

    def last_used_after_a_request() -> str:
        assert client.get("/api/v1/lots", headers=bearer(secret)).status_code == 200
        with runtime.sessions() as db:
            return db.scalar(select(ApiToken.last_used_at)).isoformat()  # type: ignore[union-attr]

    assert last_used_after_a_request() == "2026-11-25T09:30:00+00:00"
    clocked.advance(seconds=59)
    assert last_used_after_a_request() == "2026-11-25T09:30:00+00:00"
    clocked.advance(seconds=1)
    assert last_used_after_a_request() == "2026-11-25T09:31:00+00:00"


def test_the_audit_of_a_request_does_not_leak_into_the_next(client: FlaskClient, login, runtime: Runtime, issue) -> None:  # type: ignore[no-untyped-def]
    admin = issue("admin")
    client.post("/api/v1/tokens", json={"name": "by token", "scopes": ["lots:read"]}, headers=bearer(admin))
    login("admin")
    client.post("/api/v1/tokens", json={"name": "by session", "scopes": ["lots:read"]})
    assert [(detail["name"], operator, "token" in detail) for _, operator, detail in _audit(runtime)] == [
        ("ETCP bridge", None, False), ("by token", None, True), ("by session", _operator_id(runtime, "admin"), False),
    ]


def test_a_token_with_sessions_read_reads_the_sessions(client: FlaskClient, issue, admit, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B12345")
    secret = issue("sessions:read")
    sessions = client.get("/api/v1/sessions", headers=bearer(secret)).get_json()
    assert [(s["plate"], s["status"]) for s in sessions["items"]] == [("粤B12345", "open")]
