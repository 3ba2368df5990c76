"""The audit log page (issue 10 item 6): filters by operator, action prefix, target and a time range in
the lots' time zone; paging that never runs past the end; CSV export; every field escaped."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Operator
from parking.runtime import Runtime
from parking.services import audit, operators
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

ROW = re.compile(r'<tr data-audit="(\d+)">')


@pytest.fixture
def history(runtime: Runtime, village) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Five rows an hour apart from 08:00 Shanghai (00:00 UTC) on 2026-11-25, one of them from the CLI."""
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


@pytest.fixture
def admin(app: Flask, client: FlaskClient, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    login("admin")
    return client


def _targets(client: FlaskClient, query: str) -> list[str]:
    html = client.get("/console/audit" + query).get_data(as_text=True)
    return re.findall(r'<tr data-audit="\d+">\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td><code>[^<]*</code></td>\s*<td>([^<]*)</td>', html)


def test_newest_first_with_local_times(admin: FlaskClient, history: dict[str, int]) -> None:
    html = admin.get("/console/audit?action=operator.").get_data(as_text=True)
    assert "<td>2026-11-25 12:00:00</td>" in html  # 04:00 UTC, shown in Shanghai
    assert _targets(admin, "?action=operator.") == ["manager", "booth", "booth"]
    assert "<td>192.0.2.7</td>" in html and "<td>命令行/系统</td>" in html


@pytest.mark.parametrize(("query", "targets"), [
    ("?operator=admin", ["booth", "booth"]),
    ("?operator=-", ["manager"]),
    ("?action=operator.d", ["booth"]),
    ("?action=lane", ["east-in"]),
    ("?action=%25", []),  # a LIKE wildcard is taken literally
    ("?target=east", ["east-in"]),
    ("?from=2026-11-25T09:00&to=2026-11-25T10:00", ["east-in", "booth"]),  # 09:00–10:00 Shanghai, the end minute included
    ("?from=2026-11-25T10:01", ["manager", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"]),
    ("?to=2026-11-24", []),
    ("?from=2026-11-25&to=2026-11-25", ["manager", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "east-in", "booth", "booth"]),
])
def test_filters(admin: FlaskClient, history: dict[str, int], query: str, targets: list[str]) -> None:
    assert [t for t in _targets(admin, query) if t not in {"admin"}] == targets


@pytest.mark.parametrize(("query", "message"), [
    ("?from=yesterday", "时间“from”应为 2026-01-31 或 2026-01-31T08:30 的格式。"),
    ("?to=2026-02-30", "时间“to”应为 2026-01-31 或 2026-01-31T08:30 的格式。"),
    ("?from=2026-11-25&to=2026-11-24", "时间“to”应晚于“from”。"),
    ("?operator=nobody", "筛选条件“operator”：没有用户名为“nobody”的操作员。"),
    ("?action=" + "x" * 65, "筛选条件“action”太长，最多 64 个字符。"),
    ("?target=%0Aabc", "参数“target”的值格式不正确或超出范围。"),  # refused for every page by web.bounds
])
def test_a_filter_that_cannot_be_read_is_named_and_answers_400(admin: FlaskClient, history: dict[str, int], query: str, message: str) -> None:
    response = admin.get("/console/audit" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert ROW.findall(html) == []
    assert admin.get("/console/audit.csv" + query).status_code == 400


def test_paging_never_runs_past_the_end(admin: FlaskClient, runtime: Runtime) -> None:
    with runtime.sessions() as db:
        for i in range(120):
            audit.record(db, "test.row", operator_id=None, target=f"row {i:03d}", at=FIXED_NOW - timedelta(minutes=i))
        db.commit()
    first = admin.get("/console/audit?action=test.").get_data(as_text=True)
    assert len(ROW.findall(first)) == 50 and "第 1 / 3 页" in first
    last = admin.get("/console/audit?action=test.&page=3").get_data(as_text=True)
    assert _targets(admin, "?action=test.&page=3") == [f"row {i:03d}" for i in range(100, 120)]
    assert 'rel="next"' not in last and 'href="/console/audit?page=2&amp;action=test."' in last
    beyond = admin.get("/console/audit?action=test.&page=99")
    assert beyond.status_code == 200
    html = beyond.get_data(as_text=True)
    assert "页码无效或超出范围，显示第 3 页。" in html and len(ROW.findall(html)) == 20
    assert "页码无效或超出范围，显示第 1 页。" in admin.get("/console/audit?action=test.&page=abc").get_data(as_text=True)


def test_csv_export_has_the_same_filters_local_times_and_no_formulas(admin: FlaskClient, history: dict[str, int]) -> None:
    response = admin.get("/console/audit.csv?from=2026-11-25T10:00&to=2026-11-25T12:00")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "at (Asia/Shanghai)", "operator", "action", "target", "remote_addr", "detail"]
    assert [row[1:6] for row in rows[1:]] == [
        ["2026-11-25T12:00:00+08:00", "", "operator.reset_password", "manager", ""],
        ["2026-11-25T11:00:00+08:00", "manager", "pass.issue", "<script>alert('x')</script>", "192.0.2.7"],
        ["2026-11-25T10:00:00+08:00", "attendant", "lane.open", "east-in", "192.0.2.7"],
    ]
    assert rows[2][6] == '{"holder": "=HYPERLINK(\\"http://evil\\")"}'  # JSON text starts with "{": no formula
    assert rows[3][6] == '{"reason": "访客未登记"}'


def test_a_cell_that_looks_like_a_formula_is_prefixed(admin: FlaskClient, runtime: Runtime) -> None:
    with runtime.sessions() as db:
        audit.record(db, "pass.issue", operator_id=None, target="=1+1", at=FIXED_NOW)
        audit.record(db, "pass.issue", operator_id=None, target="@SUM(A1)", at=FIXED_NOW - timedelta(minutes=1))
        db.commit()
    rows = list(csv.reader(io.StringIO(admin.get("/console/audit.csv?action=pass.").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[4] for row in rows[1:]] == ["'=1+1", "'@SUM(A1)"]


def test_html_in_any_field_is_escaped(admin: FlaskClient, history: dict[str, int]) -> None:
    html = admin.get("/console/audit?action=pass.").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_an_auditor_reads_and_exports_the_log(app: Flask, runtime: Runtime, history: dict[str, int]) -> None:
    with runtime.sessions() as db:
        operators.create_operator(db, "inspector", "auditor", password="Inspector-2026", actor_id=None, now=FIXED_NOW)
        db.scalar(select(Operator).where(Operator.username == "inspector")).must_change_password = False  # type: ignore[union-attr]
        db.commit()
    client = app.test_client()
    page = client.get("/auth/login")
    client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "inspector", "password": "Inspector-2026"})
    assert client.get("/console/audit").status_code == 200
    assert client.get("/console/audit.csv").status_code == 200


def test_the_log_records_the_sign_in_of_the_reader(admin: FlaskClient) -> None:
    assert _targets(admin, "?action=auth.login") == ["admin"]


def test_english_audit_log(admin: FlaskClient, history: dict[str, int]) -> None:
    html = admin.get("/console/audit?lang=en&from=bad").get_data(as_text=True)
    assert "<title>Audit log · Smart Parking</title>" in html
    assert "The time “from” should look like 2026-01-31 or 2026-01-31T08:30." in html
