"""The web layer is thin (issue 9, item 3): every write goes through ``parking.services``, and views take
the time from the app's clock (``PARKING_CLOCK``), so a test can move it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Operator
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

WEB = Path(__file__).resolve().parents[3] / "web"
WRITES = re.compile(r"\.commit\(|\bdb\(?\)?\.add\(|\.add_all\(|\.delete\(|\butcnow\(|datetime\.now\(|datetime\.utcnow\(")
# ``web/context.py`` is the clock hook itself: the wall clock unless the app is given another.
NOT_YET = {"context.py"}


def test_no_view_writes_to_sql_or_reads_the_clock_itself() -> None:
    offenders = []
    for path in sorted(WEB.rglob("*.py")):
        relative = path.relative_to(WEB).as_posix()
        if relative in NOT_YET:
            continue
        offenders += [f"{relative}:{n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1) if WRITES.search(line)]
    assert offenders == []


def _audit(runtime: Runtime) -> list[tuple[str, object, str]]:
    with runtime.sessions() as db:
        return [(e.action, e.at.replace(tzinfo=None), e.remote_addr) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_sign_in_and_out_are_stamped_by_the_apps_clock_with_the_remote_address(app: Flask, client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    moment = FIXED_NOW + timedelta(days=3)
    app.config["PARKING_CLOCK"] = lambda: moment
    login("manager", password="wrong password")
    login("manager")
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    naive = moment.replace(tzinfo=None)
    assert _audit(runtime) == [("auth.login_failed", naive, "127.0.0.1"), ("auth.login", naive, "127.0.0.1"), ("auth.logout", naive, "127.0.0.1")]
    with runtime.sessions() as db:
        last_login = db.scalar(select(Operator.last_login_at).where(Operator.username == "manager"))
    assert last_login is not None and last_login.replace(tzinfo=None) == naive


def _token(client: FlaskClient) -> str:
    return csrf_token(client.get("/console/").get_data(as_text=True))


def test_the_fee_and_tariff_without_a_moment_are_for_the_apps_now(app: Flask, client: FlaskClient, login, admit, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B12345")
    login("attendant")
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(hours=3)
    fee = client.get(f"/api/v1/lots/{village.community_lot_id}/fee", query_string={"plate": "粤B12345"}).get_json()
    assert (fee["at"], fee["duration_minutes"]) == ("2026-11-25T20:30:00+08:00", 180)
    assert client.get("/api/v1/public/availability").get_json()["last_updated"] == "2026-11-25T12:30:00+00:00"
