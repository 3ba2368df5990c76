"""Who may use the account routes (role × route matrix: anonymous, each role, an attendant of another
site), and site binding: an operator bound to a site sees and acts only on its lots and lanes, and an
object of another site is not found (404) on every console page and API route that names it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Lane, LaneDirection, Lot, Operator, Site, Zone
from parking.occupancy.recorder import Recorder
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services import operators
from parking.services.capacities import publish_capacities
from tests.conftest import FIXED_NOW, TEST_PASSWORD

from .conftest import csrf_token
from .test_access import PARKED, REQUIRED_ARGUMENTS, _store_snapshot

pytestmark = [pytest.mark.database, pytest.mark.redis]

NORTH_PASSWORD = "North-gate 2026"
NORTH_PLATE = "粤B77777"


@dataclass(frozen=True)
class North:
    site_id: int
    lot_id: int
    lane_id: int


@pytest.fixture
def north(runtime: Runtime, village: DemoVillage) -> North:
    """A second site with one lot, zone and entry lane, a car parked in it, and attendants of each kind:
    ``north.attendant`` bound to it, ``inspector`` an auditor; both ready (no password change pending)."""
    with runtime.sessions() as db:
        site = Site(code="north-village", name="北村", timezone="Asia/Shanghai")
        lot = Lot(site=site, code="nv-lot", name="北村停车场")
        zone = Zone(lot=lot, code="main", name="北村地面", capacity=10)
        lane = Lane(lot=lot, zone=zone, code="nv-in", name="北村入口", direction=LaneDirection.ENTRY)
        db.add_all([site, lot, zone, lane])
        db.commit()
        found = North(site.id, lot.id, lane.id)
        publish_capacities(db, runtime.store)
        operators.create_operator(db, "north.attendant", "attendant", password=NORTH_PASSWORD, sites=["north-village"], actor_id=None, now=FIXED_NOW)
        operators.create_operator(db, "inspector", "auditor", password=NORTH_PASSWORD, actor_id=None, now=FIXED_NOW)
        for name in ("north.attendant", "inspector"):
            db.scalar(select(Operator).where(Operator.username == name)).must_change_password = False  # type: ignore[union-attr]
        db.commit()
        zone_id = zone.id
    assert runtime.store.admit(found.lot_id, zone_id, NORTH_PLATE, FIXED_NOW, lane_id=found.lane_id).outcome == "admitted"
    Recorder(runtime.redis, runtime.sessions, [village.community_lot_id, village.office_lot_id, found.lot_id], consumer="north").drain()
    return found


PASSWORDS = {"admin": TEST_PASSWORD, "manager": TEST_PASSWORD, "attendant": TEST_PASSWORD, "auditor": NORTH_PASSWORD,
             "other-site attendant": NORTH_PASSWORD}
USERNAMES = {"admin": "admin", "manager": "manager", "attendant": "attendant", "auditor": "inspector", "other-site attendant": "north.attendant"}
WHO = ("anonymous", "admin", "manager", "attendant", "auditor", "other-site attendant")


def _as(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    if who != "anonymous":
        page = client.get("/auth/login")
        response = client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                    "username": USERNAMES[who], "password": PASSWORDS[who]})
        assert response.status_code == 302, who
    return client


def _token(client: FlaskClient, signed_in: bool = True) -> str:
    return csrf_token(client.get("/auth/password" if signed_in else "/auth/login").get_data(as_text=True))


# -- role × route matrix of the account routes ----------------------------------------------------------
GET_MATRIX = {
    # route: statuses for anonymous, admin, manager, attendant, auditor, other-site attendant
    "/auth/password": (302, 200, 200, 200, 200, 200),
    "/console/operators": (302, 200, 403, 403, 200, 403),
    "/console/operators/{manager}": (302, 200, 403, 403, 200, 403),
    "/console/audit": (302, 200, 403, 403, 200, 403),
    "/console/audit.csv": (302, 200, 403, 403, 200, 403),
    "/api/v1/operators": (401, 200, 403, 403, 200, 403),
    "/api/v1/operators/{manager}": (401, 200, 403, 403, 200, 403),
    "/api/v1/audit": (401, 200, 403, 403, 200, 403),
    "/console/revenue": (302, 200, 200, 403, 200, 403),
    "/console/revenue.csv": (302, 200, 200, 403, 200, 403),
    "/console/revenue.xlsx": (302, 200, 200, 403, 200, 403),
    "/console/reconciliation": (302, 200, 200, 403, 200, 403),
    "/api/v1/reports/revenue?from=2026-11-01&to=2026-11-30": (401, 200, 200, 403, 200, 403),
    "/api/v1/reports/reconciliation?from=2026-11-01&to=2026-11-30": (401, 200, 200, 403, 200, 403),
    "/console/payments": (302, 200, 200, 200, 200, 200),
    "/console/arrears": (302, 200, 200, 200, 200, 200),
    "/api/v1/payments": (401, 200, 200, 200, 200, 200),
    "/api/v1/arrears": (401, 200, 200, 200, 200, 200),
}


@pytest.mark.parametrize("who", WHO)
def test_who_may_open_the_account_pages(app: Flask, runtime: Runtime, north: North, who: str) -> None:
    client = _as(app, who)
    manager = runtime.sessions().scalar(select(Operator.id).where(Operator.username == "manager"))
    got = {route: client.get(route.format(manager=manager)).status_code for route in GET_MATRIX}
    assert got == {route: statuses[WHO.index(who)] for route, statuses in GET_MATRIX.items()}


POST_MATRIX = {
    # route: statuses for anonymous, admin, manager, attendant, auditor, other-site attendant
    "/console/operators": (302, 200, 403, 403, 403, 403),
    "/console/operators/{target}": (302, 302, 403, 403, 403, 403),
    "/console/operators/{target}/disable": (302, 302, 403, 403, 403, 403),
    "/console/operators/{target}/enable": (302, 302, 403, 403, 403, 403),
    "/console/operators/{target}/reset-password": (302, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("who", WHO)
def test_who_may_change_accounts(app: Flask, runtime: Runtime, north: North, who: str) -> None:
    client = _as(app, who)
    target = runtime.sessions().scalar(select(Operator.id).where(Operator.username == "attendant"))
    got = {}
    for n, route in enumerate(POST_MATRIX):
        body = {"csrf_token": _token(client, who != "anonymous"), "username": f"new.{n}", "display_name": "新人", "role": "attendant", "password_mode": "generate"}
        response = client.post(route.format(target=target), data=body)
        got[route] = response.status_code
        if who == "anonymous":
            assert response.headers["Location"].startswith("/auth/login")
    assert got == {route: statuses[WHO.index(who)] for route, statuses in POST_MATRIX.items()}


API_WRITE_MATRIX = {
    # (method, route): statuses for anonymous, admin, manager, attendant, auditor, other-site attendant
    ("POST", "/api/v1/operators"): (401, 201, 403, 403, 403, 403),
    ("PATCH", "/api/v1/operators/{target}"): (401, 200, 403, 403, 403, 403),
    ("POST", "/api/v1/operators/{target}/disable"): (401, 200, 403, 403, 403, 403),
    ("POST", "/api/v1/operators/{target}/enable"): (401, 200, 403, 403, 403, 403),
    ("POST", "/api/v1/operators/{target}/reset-password"): (401, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("who", WHO)
def test_who_may_change_accounts_through_the_api(app: Flask, runtime: Runtime, north: North, who: str) -> None:
    client = _as(app, who)
    target = runtime.sessions().scalar(select(Operator.id).where(Operator.username == "attendant"))
    got = {}
    for n, (method, route) in enumerate(API_WRITE_MATRIX):
        body = {"username": f"new.{n}", "display_name": "新人", "role": "attendant"} if route == "/api/v1/operators" else {}
        got[(method, route)] = client.open(route.format(target=target), method=method, json=body).status_code
    assert got == {route: statuses[WHO.index(who)] for route, statuses in API_WRITE_MATRIX.items()}


def test_every_role_may_sign_out(app: Flask, north: North) -> None:
    for who in WHO[1:]:
        client = _as(app, who)
        assert client.post("/auth/logout", data={"csrf_token": _token(client)}).status_code == 302
        assert client.get("/console/").status_code == 302


# -- site binding --------------------------------------------------------------------------------------
def test_a_bound_attendant_sees_only_their_lots(app: Flask, north: North, village: DemoVillage, admit) -> None:  # type: ignore[no-untyped-def]
    admit(PARKED)
    client = _as(app, "other-site attendant")
    dashboard = client.get("/console/").get_data(as_text=True)
    assert "北村停车场" in dashboard and "和谐里小区" not in dashboard and "科技园办公楼停车场" not in dashboard
    assert [lot["id"] for lot in client.get("/console/live").get_json()["lots"]] == [north.lot_id]
    lanes = client.get("/console/lanes").get_data(as_text=True)
    assert "北村入口" in lanes and "东门入口" not in lanes
    sessions = client.get("/console/sessions").get_data(as_text=True)
    assert NORTH_PLATE in sessions and PARKED not in sessions and "和谐里小区" not in sessions
    assert "和谐里小区" not in client.get("/console/tariffs").get_data(as_text=True)
    assert [lot["id"] for lot in client.get("/api/v1/lots").get_json()] == [north.lot_id]
    assert [lane["id"] for lane in client.get("/api/v1/lanes").get_json()] == [north.lane_id]
    assert [s["plate"] for s in client.get("/api/v1/sessions").get_json()["items"]] == [NORTH_PLATE]


def test_an_unbound_attendant_sees_every_lot(app: Flask, north: North, village: DemoVillage) -> None:
    client = _as(app, "attendant")
    assert [lot["id"] for lot in client.get("/api/v1/lots").get_json()] == [village.community_lot_id, village.office_lot_id, north.lot_id]


def test_another_sites_lot_and_lane_are_not_found(app: Flask, north: North, village: DemoVillage, admit) -> None:  # type: ignore[no-untyped-def]
    admit(PARKED)
    client = _as(app, "other-site attendant")
    lot, lane = village.community_lot_id, village.lane("east-in").id
    for path in (f"/api/v1/lots/{lot}", f"/api/v1/lots/{lot}/occupancy", f"/api/v1/lanes?lot_id={lot}", f"/api/v1/sessions?lot_id={lot}",
                 f"/api/v1/lots/{lot}/fee?plate={PARKED}", f"/api/v1/lots/{lot}/tariff", f"/api/v1/lanes/{lane}/commands/{'0' * 32}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["message"] in {f"lot {lot} not found", f"lane {lane} not found"}, path
    command = client.post(f"/api/v1/lanes/{lane}/commands", json={"action": "open", "reason": "访客未登记"})
    assert (command.status_code, command.get_json()["error"]["message"]) == (404, f"lane {lane} not found")
    token = _token(client)
    assert client.post(f"/console/lanes/{lane}/gate", data={"csrf_token": token, "action": "open", "reason": "free"}).status_code == 404
    assert client.post(f"/console/lanes/{lane}/text", data={"csrf_token": token, "text": "欢迎"}).status_code == 404
    own = client.get(f"/api/v1/lots/{north.lot_id}")
    assert own.status_code == 200 and own.get_json()["name"] == "北村停车场"


def test_another_sites_snapshot_is_not_found(app: Flask, runtime: Runtime, north: North) -> None:
    _store_snapshot(runtime)  # stored under lot 1, the community lot
    path = "/console/snapshots/" + REQUIRED_ARGUMENTS["console.snapshot"]["path"]
    assert _as(app, "attendant").get(path).status_code == 200
    assert _as(app, "other-site attendant").get(path).status_code == 404


def _lot_and_lane_routes(app: Flask) -> Iterator[tuple[str, str]]:
    """(endpoint, method) of every route naming a lot or a lane in its path."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if {"lot_id", "lane_id"} & set(rule.arguments):
            methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
            yield rule.endpoint, "GET" if "GET" in methods else sorted(methods)[0]


def test_every_route_naming_another_sites_lot_or_lane_answers_404_or_403(app: Flask, runtime: Runtime, north: North, village: DemoVillage,  # type: ignore[no-untyped-def]
                                                                        admit) -> None:
    admit(PARKED)
    bound, unbound = _as(app, "other-site attendant"), _as(app, "attendant")
    app.config["WTF_CSRF_ENABLED"] = False  # the route answers for the object, not for a missing token
    lot, lane = village.community_lot_id, village.lane("east-in").id
    seen_by_the_bound, hidden_from_the_bound = set(), set()
    for endpoint, method in _lot_and_lane_routes(app):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        values = {arg: lot for arg in rule.arguments} | ({"lane_id": lane} if "lane_id" in rule.arguments else {}) | REQUIRED_ARGUMENTS.get(endpoint, {})
        with app.test_request_context():
            url = url_for(endpoint, **values)
        body = {"action": "open", "reason": "访客未登记"} if endpoint == "api.send_lane_command" else None
        as_bound = bound.open(url, method=method, json=body).status_code
        as_unbound = unbound.open(url, method=method, json=body).status_code
        if as_bound not in {403, 404}:
            seen_by_the_bound.add((endpoint, as_bound))
        if as_bound == 404 and as_unbound != 404:
            hidden_from_the_bound.add(endpoint)
    assert seen_by_the_bound == set()
    assert {"api.get_lot", "api.lot_occupancy", "api.lot_fee", "api.lot_tariff", "api.send_lane_command", "console.lane_gate",
            "console.lane_text", "console.lane_cash", "console.lane_order"} <= hidden_from_the_bound
