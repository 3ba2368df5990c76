"""``/api/v1/audit`` (issue 10 items 6 and 7): the audit log with the console page's filters (operator,
action prefix, target, time range) from the same query, newest first and paged, for administrators,
auditors and ``admin`` tokens; refused to everyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Operator
from parking.runtime import Runtime
from parking.services import audit, operators
from parking.services.tokens import SCOPES, issue_token
from tests.conftest import FIXED_NOW, TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

NOT_ADMIN = [s for s in SCOPES if s != "admin"]


def _error(code: int, status: str, message: str, field: str | None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


@pytest.fixture
def history(runtime: Runtime, village) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Five rows an hour apart from 08:00 Shanghai (00:00 UTC) on 2026-11-25, the last one from the CLI."""
    with runtime.sessions() as db:
        ids = {name: db.scalar(select(Operator.id).where(Operator.username == name)) for name in ("admin", "manager", "attendant")}
        start = FIXED_NOW.replace(hour=0, minute=0)
        with audit.origin("192.0.2.7"):
            audit.record(db, "operator.create", operator_id=ids["admin"], target="booth", at=start, after={"role": "attendant"})
            audit.record(db, "operator.disable", operator_id=ids["admin"], target="booth", at=start + timedelta(hours=1))
            audit.record(db, "lane.open", operator_id=ids["attendant"], target="east-in", at=start + timedelta(hours=2), reason="访客未登记")
            audit.record(db, "pass.issue", operator_id=ids["manager"], target="<script>alert('x')</script>", at=start + timedelta(hours=3),
                         holder="=HYPERLINK(\"http://evil\")")
        audit.record(db, "operator.reset_password", operator_id=None, target="manager", at=start + timedelta(hours=4))
        db.commit()
    return ids  # type: ignore[return-value]


def _signed_in(app: Flask, username: str, password: str = TEST_PASSWORD) -> FlaskClient:
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    client = app.test_client()
    page = client.get("/auth/login")
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username, "password": password})
    assert response.status_code == 302, username
    return client


@pytest.fixture
def admin(app: Flask, village) -> FlaskClient:  # type: ignore[no-untyped-def]
    return _signed_in(app, "admin")


def _bearer(runtime: Runtime, *scopes: str) -> dict[str, str]:
    with runtime.sessions() as db:
        return {"Authorization": f"Bearer {issue_token(db, name='SIEM export', scopes=scopes, now=FIXED_NOW).secret}"}


def _targets(client: FlaskClient, query: str, **kwargs: object) -> list[str]:
    response = client.get("/api/v1/audit" + query, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.get_json()
    return [item["target"] for item in response.get_json()["items"]]


def test_newest_first_with_who_what_where_and_when(admin: FlaskClient, history: dict[str, int]) -> None:
    response = admin.get("/api/v1/audit?action=operator.")
    body = response.get_json()
    assert response.status_code == 200
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 50, 3, 1)
    assert [{k: v for k, v in item.items() if k != "id"} for item in body["items"]] == [
        {"at": "2026-11-25T04:00:00+00:00", "operator_id": None, "operator": None, "action": "operator.reset_password", "target": "manager",
         "remote_addr": "", "detail": {}},
        {"at": "2026-11-25T01:00:00+00:00", "operator_id": history["admin"], "operator": "admin", "action": "operator.disable", "target": "booth",
         "remote_addr": "192.0.2.7", "detail": {}},
        {"at": "2026-11-25T00:00:00+00:00", "operator_id": history["admin"], "operator": "admin", "action": "operator.create", "target": "booth",
         "remote_addr": "192.0.2.7", "detail": {"after": {"role": "attendant"}}},
    ]
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(("query", "targets"), [
    ("?operator=admin", ["booth", "booth"]),
    ("?operator=-", ["manager"]),
    ("?operator=%20attendant%20", ["east-in"]),
    ("?action=operator.d", ["booth"]),
    ("?action=lane", ["east-in"]),
    ("?action=%25", []),  # a LIKE wildcard is taken literally
    ("?action=pass_", []),
    ("?target=east", ["east-in"]),
    ("?target=<script>", ["<script>alert('x')</script>"]),
    ("?from=2026-11-25T09:00:00%2B08:00&to=2026-11-25T11:00:00%2B08:00", ["east-in", "booth"]),  # from included, to excluded
    ("?from=2026-11-25T02:00:00Z", ["manager", "<script>alert('x')</script>", "east-in"]),
    ("?to=2026-11-25T00:00:00Z", []),
    ("?from=2026-11-25T09:00:00 08:00&action=operator.", ["manager", "booth"]),  # a + the query string turned into a space
])
def test_filters(admin: FlaskClient, history: dict[str, int], query: str, targets: list[str]) -> None:
    assert [t for t in _targets(admin, query) if t != "admin"] == targets  # "admin": the sign-in of the reader


@pytest.mark.parametrize(("query", "field", "message"), [
    ("operator=nobody", "operator", "operator: no operator 'nobody'"),
    ("operator=" + "x" * 65, "operator", "operator: Longer than maximum length 64."),
    ("action=" + "x" * 65, "action", "action: Longer than maximum length 64."),
    ("target=" + "x" * 101, "target", "target: Longer than maximum length 100."),
    ("from=yesterday", "from", "from: Not a valid ISO 8601 date and time; expected e.g. 2026-11-25T18:00:00+08:00."),
    ("from=2026-11-25", "from", "from: No UTC offset; expected a date and time with one, e.g. 2026-11-25T18:00:00+08:00."),
    ("to=2026-11-25T08:00:00", "to", "to: No UTC offset; expected a date and time with one, e.g. 2026-11-25T18:00:00+08:00."),
    ("to=1900-01-01T00:00:00Z", "to", "to: Out of range; a date and time from 2000 to 2099 is expected."),
    ("from=2026-11-25T10:00:00Z&to=2026-11-25T10:00:00Z", "to", "to: Must be later than from."),
    ("target=%0Aabc", "target", "target: contains U+000A, a control character or lone surrogate, which no field may hold"),
    ("page=0", "page", "page: Must be greater than or equal to 1 and less than or equal to 100000."),
    ("per_page=201", "per_page", "per_page: Must be greater than or equal to 1 and less than or equal to 200."),
])
def test_a_filter_that_cannot_be_read_is_422_naming_it(admin: FlaskClient, history: dict[str, int], query: str, field: str, message: str) -> None:
    response = admin.get(f"/api/v1/audit?{query}")
    assert response.status_code == 422
    assert response.get_json() == _error(422, "Unprocessable Entity", message, field)


def test_paging(admin: FlaskClient, runtime: Runtime) -> None:
    with runtime.sessions() as db:
        for i in range(120):
            audit.record(db, "test.row", operator_id=None, target=f"row {i:03d}", at=FIXED_NOW - timedelta(minutes=i))
        db.commit()
    first = admin.get("/api/v1/audit?action=test.").get_json()
    assert (len(first["items"]), first["page"], first["per_page"], first["total"], first["pages"]) == (50, 1, 50, 120, 3)
    assert _targets(admin, "?action=test.&page=3") == [f"row {i:03d}" for i in range(100, 120)]
    assert _targets(admin, "?action=test.&per_page=7&page=2") == [f"row {i:03d}" for i in range(7, 14)]
    beyond = admin.get("/api/v1/audit?action=test.&page=4").get_json()
    assert (beyond["items"], beyond["page"], beyond["total"], beyond["pages"]) == ([], 4, 120, 3)


def test_the_apis_own_changes_are_in_it_naming_the_token(app: Flask, client: FlaskClient, runtime: Runtime, village) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    headers = _bearer(runtime, "admin")
    assert client.post("/api/v1/operators", json={"username": "booth", "role": "attendant"}, headers=headers).status_code == 201
    items = client.get("/api/v1/audit?action=operator.create&operator=-", headers=headers).get_json()["items"]
    assert len(items) == 1
    row = items[0]
    assert (row["at"], row["operator"], row["target"], row["remote_addr"]) == ("2026-11-25T09:30:00+00:00", None, "booth", "127.0.0.1")
    assert row["detail"]["token"]["name"] == "SIEM export" and row["detail"]["generated_password"] is True
    assert "password_hash" not in str(row["detail"]) and "$argon2" not in str(row["detail"])


def test_an_auditor_reads_the_log(app: Flask, runtime: Runtime, history: dict[str, int]) -> None:
    with runtime.sessions() as db:
        operators.create_operator(db, "inspector", "auditor", password="Inspector-2026", actor_id=None, now=FIXED_NOW)
        db.scalar(select(Operator).where(Operator.username == "inspector")).must_change_password = False  # type: ignore[union-attr]
        db.commit()
    auditor = _signed_in(app, "inspector", "Inspector-2026")
    assert _targets(auditor, "?action=lane.") == ["east-in"]
    assert auditor.post("/api/v1/audit").status_code == 405  # nothing to change: the log has no other method


@pytest.mark.parametrize("username", ["manager", "attendant"])
def test_managers_and_attendants_are_refused(app: Flask, history: dict[str, int], username: str) -> None:
    response = _signed_in(app, username).get("/api/v1/audit")
    assert response.status_code == 403
    assert response.get_json() == _error(403, "Forbidden", f"role {username!r} may not use this resource; allowed: admin, auditor", None)


def test_someone_not_signed_in_is_401(client: FlaskClient, history: dict[str, int]) -> None:
    assert client.get("/api/v1/audit").status_code == 401


def test_tokens_with_and_without_the_admin_scope(client: FlaskClient, runtime: Runtime, history: dict[str, int]) -> None:
    assert _targets(client, "?action=lane.", headers=_bearer(runtime, "admin")) == ["east-in"]
    headers = _bearer(runtime, *NOT_ADMIN)
    prefix = headers["Authorization"].removeprefix("Bearer ")[:11]
    response = client.get("/api/v1/audit", headers=headers)
    assert response.get_json() == _error(403, "Forbidden", f"API token {prefix} lacks the scope 'admin' this resource needs "
                                                           f"(it has: {', '.join(NOT_ADMIN)})", None)
