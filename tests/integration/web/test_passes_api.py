"""``/api/v1/passes`` and ``/api/v1/pass-products``: issue from a product, renew, suspend, resume, end with
the refund quoted first, change plates and holder, expiring, search, export and import; errors in the one
JSON shape naming the field; tokens with passes:write; operators bound to sites see their lots only.

Demo village at FIXED_NOW (2026-11-25 17:30 in Shanghai); pass 1 is 3栋 王先生's, 粤B3M001."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Lot, Operator, OperatorSite, Role, Site
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.tokens import issue_token
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

YUEKA = {"lot_id": 1, "code": "yueka", "name": "月卡", "kind": "monthly", "period_months": 1, "price_fen": 30000}


@pytest.fixture
def manager(app: Flask, client: FlaskClient, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    login("manager")
    return client


@pytest.fixture
def product(manager: FlaskClient) -> int:
    response = manager.post("/api/v1/pass-products", json=YUEKA)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def issue(client: FlaskClient, product: int, **changes) -> object:  # type: ignore[no-untyped-def]
    body = {"product_id": product, "holder": "8栋 赵先生", "plates": ["粤B66M01"], "start": "2026-11-25", "periods": 2,
            "household": "8栋301", "phone": "13800138000", **changes}
    return client.post("/api/v1/passes", json=body)


def error(code: int, status: str, message: str, field: str | None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


def test_a_pass_issued_from_a_product_is_answered_with_its_state_and_known_to_the_lanes(manager, product, runtime: Runtime):
    response = issue(manager, product)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("lot_id", "product_id", "kind", "holder", "household", "phone", "plates", "spaces", "valid_from",
                                 "valid_until", "last_day", "price_fen", "status", "days_left", "active")} == {
        "lot_id": 1, "product_id": product, "kind": "monthly", "holder": "8栋 赵先生", "household": "8栋301", "phone": "13800138000",
        "plates": ["粤B66M01"], "spaces": 1, "valid_from": "2026-11-24T16:00:00+00:00", "valid_until": "2027-01-24T16:00:00+00:00",
        "last_day": "2027-01-24", "price_fen": 60000, "status": "valid", "days_left": 60, "active": True}
    assert [p.id for p in runtime.store.facts.for_plate(1, "粤B66M01").passes] == [body["id"]]


@pytest.mark.parametrize(("changes", "code", "message", "field"), [
    ({"plates": ["粤B6M0"]}, 422, "plates[0]: cannot read plate '粤B6M0'", "plates[0]"),
    ({"plates": ["粤B66M01", "粤B3M001"]}, 422, "plates: plate 粤B3M001 already has pass 1 (3栋 王先生) valid 2026-11-20 to 2026-12-20 in the same zone", "plates"),
    ({"start": "2026-02-30"}, 422, "start: Not a valid date.", "start"),
    ({"periods": 0}, 422, "periods: Must be greater than or equal to 1 and less than or equal to 120.", "periods"),
    ({"product_id": 999}, 422, "product_id: no pass product 999", "product_id"),
    ({"holder": ""}, 422, "holder: is required", "holder"),
    ({"colour": "blue"}, 422, "colour: Unknown field.", "colour"),
])
def test_a_bad_issue_is_an_error_naming_the_field(manager, product, changes, code, message, field):
    response = issue(manager, product, **changes)
    assert response.status_code == code
    body = response.get_json()
    assert (body["error"]["field"], body["error"]["message"][: len(message)]) == (field, message)
    assert [p["id"] for p in manager.get("/api/v1/passes").get_json()] == [1, 2, 3, 4]


def test_renew_suspend_resume_quote_and_end(manager, product, runtime: Runtime):
    pass_id = issue(manager, product).get_json()["id"]
    renewed = manager.post(f"/api/v1/passes/{pass_id}/renew", json={"periods": 1}).get_json()
    assert (renewed["charged_fen"], renewed["gap"], renewed["pass"]["last_day"], renewed["pass"]["price_fen"]) == (30000, False, "2027-02-24", 90000)
    suspended = manager.post(f"/api/v1/passes/{pass_id}/suspend", json={"reason": "出国"})
    assert (suspended.status_code, suspended.get_json()["status"]) == (200, "suspended")
    assert runtime.store.facts.for_plate(1, "粤B66M01").passes[0].suspended_at == FIXED_NOW
    again = manager.post(f"/api/v1/passes/{pass_id}/suspend", json={})
    assert again.get_json() == error(409, "Conflict", f"pass_id: pass {pass_id} is already suspended since 2026-11-25 09:30", "pass_id")
    assert manager.post(f"/api/v1/passes/{pass_id}/resume").get_json()["status"] == "valid"
    quote = manager.get(f"/api/v1/passes/{pass_id}/refund").get_json()
    assert quote == {"remaining_days": 91, "days": 92, "price_fen": 90000, "refund_fen": 89021}  # 91 × 90000 // 92
    ended = manager.post(f"/api/v1/passes/{pass_id}/end", json={"refund": True, "reason": "搬家"}).get_json()
    assert (ended["pass"]["status"], ended["pass"]["active"], ended["refund"]) == ("ended", False, quote)
    assert manager.post(f"/api/v1/passes/{pass_id}/end", json={}).status_code == 409
    with runtime.sessions() as db:
        actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.target == f"pass {pass_id}").order_by(AuditEvent.id)))
    assert actions == ["pass.issue", "pass.renew", "pass.suspend", "pass.resume", "pass.end"]


def test_plates_and_holder_are_changed(manager, product):
    pass_id = issue(manager, product).get_json()["id"]
    plates = manager.put(f"/api/v1/passes/{pass_id}/plates", json={"plates": ["粤B66M01", "粤b66m02"]})
    assert plates.get_json()["plates"] == ["粤B66M01", "粤B66M02"]
    clash = manager.put(f"/api/v1/passes/{pass_id}/plates", json={"plates": ["粤B8E101"]})
    assert clash.get_json()["error"]["message"].startswith("plates: plate 粤B8E101 already has pass 3 (和谐物业公司)")
    holder = manager.patch(f"/api/v1/passes/{pass_id}", json={"household": "8栋302", "phone": "+86 139"})
    assert (holder.get_json()["household"], holder.get_json()["phone"], holder.get_json()["holder"]) == ("8栋302", "+86 139", "8栋 赵先生")


def test_search_expiring_and_an_unknown_pass(manager, product):
    issue(manager, product, plates=["粤B66M01"], start="2026-10-28", periods=1)  # last day 2026-11-27
    assert [p["holder"] for p in manager.get("/api/v1/passes?q=66M").get_json()] == ["8栋 赵先生"]
    assert [p["id"] for p in manager.get("/api/v1/passes?q=王先生").get_json()] == [1]
    assert [p["days_left"] for p in manager.get("/api/v1/passes/expiring").get_json()] == [2]
    assert [p["id"] for p in manager.get("/api/v1/passes/expiring?days=30&lot_id=1").get_json()] == [5, 1, 3]  # soonest first
    assert manager.get("/api/v1/passes/999").get_json() == error(404, "Not Found", "pass 999 not found", "pass_id")
    assert manager.get("/api/v1/passes?status=bogus").status_code == 422


def test_export_is_a_csv_with_bom_or_an_xlsx(manager, product):
    issue(manager, product)
    response = manager.get("/api/v1/passes/export?format=csv&lot_id=1")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="passes-20261125.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[-1] == ["5", "hx-community", "yueka", "8栋 赵先生", "8栋301", "13800138000", "粤B66M01", "2026-11-25", "2", "2027-01-24",
                        "600.00", "有效", "60", ""]
    xlsx = manager.get("/api/v1/passes/export?format=xlsx&language=en")
    assert (xlsx.status_code, xlsx.data[:2]) == (200, b"PK")


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["停车场", "产品", "持有人", "车牌", "开始日期", "期数"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


GOOD = [["hx-community", "yueka", f"住户{i}", f"粤B5{i:04d}", "2026-12-01", "1"] for i in range(3)]


def test_import_with_a_token_writes_the_rows_and_a_second_time_nothing(app: Flask, runtime: Runtime, village: DemoVillage, product):
    with runtime.sessions() as db:
        secret = issue_token(db, name="物业系统", scopes=["passes:write"], now=FIXED_NOW).secret
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    first = client.post("/api/v1/passes/import", data={"file": (io.BytesIO(_csv(GOOD)), "passes.csv")}, headers=headers)
    assert (first.status_code, {k: first.get_json()[k] for k in ("rows", "created", "unchanged", "written")}) == (
        201, {"rows": 3, "created": 3, "unchanged": 0, "written": True})
    second = client.post("/api/v1/passes/import", data={"file": (io.BytesIO(_csv(GOOD)), "passes.csv")}, headers=headers)
    assert (second.get_json()["created"], second.get_json()["unchanged"]) == (0, 3)
    with runtime.sessions() as db:
        issued = db.scalars(select(AuditEvent).where(AuditEvent.action == "pass.issue")).all()
    assert {(e.operator_id, e.detail["token"]["name"], e.detail["source"]) for e in issued} == {(None, "物业系统", "import")}


def test_an_import_with_bad_rows_is_422_listing_them_and_a_dry_run_reports_them(manager, product):
    rows = [*GOOD, ["hx-community", "yueka", "坏行", "粤B1234", "2026-12-01", "1"], ["hx-community", "周卡", "坏行2", "粤B50009", "2026-12-01", "x"]]
    token = csrf_token(manager.get("/console/passes/import").get_data(as_text=True))
    response = manager.post("/api/v1/passes/import", data={"file": (io.BytesIO(_csv(rows)), "passes.csv")}, headers={"X-CSRFToken": token})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == (
        "3 problems, nothing was written: row 5, 车牌: cannot read plate '粤B1234': too short: '粤B1234' has 6 characters, a plate has at "
        "least 7; row 6, 产品: lot hx-community has no product '周卡'; row 6, 期数: not a whole number")
    dry = manager.post("/api/v1/passes/import?dry_run=true", data={"file": (io.BytesIO(_csv(rows)), "passes.csv")}, headers={"X-CSRFToken": token})
    assert (dry.status_code, [(e["row"], e["column"]) for e in dry.get_json()["errors"]], dry.get_json()["written"]) == (
        200, [(5, "车牌"), (6, "产品"), (6, "期数")], False)
    assert len(manager.get("/api/v1/passes").get_json()) == 4


def test_an_import_that_is_no_spreadsheet_or_has_no_file_names_the_field(manager, product):
    token = csrf_token(manager.get("/console/passes/import").get_data(as_text=True))
    old = manager.post("/api/v1/passes/import", data={"file": (io.BytesIO(b"\xd0\xcf\x11\xe0rest"), "old.xls")}, headers={"X-CSRFToken": token})
    assert old.get_json() == error(422, "Unprocessable Entity", "file: an Excel 97-2003 (.xls) file; save it as .xlsx or CSV", "file")
    missing = manager.post("/api/v1/passes/import", data={}, headers={"X-CSRFToken": token})
    assert (missing.status_code, missing.get_json()["error"]["field"]) == (422, "file")


def test_products_are_created_changed_and_deleted_only_when_unsold(manager, product):
    assert manager.post("/api/v1/pass-products", json=YUEKA).get_json() == error(
        422, "Unprocessable Entity", "code: lot hx-community already has a product yueka", "code")
    changed = manager.patch(f"/api/v1/pass-products/{product}", json={"price_fen": 32000, "name": "月卡(2027)"}).get_json()
    assert (changed["price_fen"], changed["name"]) == (32000, "月卡(2027)")
    issue(manager, product)
    assert manager.delete(f"/api/v1/pass-products/{product}").get_json() == error(
        409, "Conflict", "product_id: 1 passes were sold from product yueka; withdraw it from sale instead", "product_id")
    spare = manager.post("/api/v1/pass-products", json={**YUEKA, "code": "nianka", "name": "年卡", "period_months": 12}).get_json()["id"]
    assert manager.delete(f"/api/v1/pass-products/{spare}").status_code == 204
    assert [p["code"] for p in manager.get("/api/v1/pass-products?lot_id=1").get_json()] == ["yueka"]


@pytest.fixture
def elsewhere(runtime: Runtime, password_hash: str) -> None:
    """Another site with its own lot, and a manager bound to it."""
    with runtime.sessions() as db, db.begin():
        site = Site(code="far", name="远处社区")
        db.add(Lot(site=site, code="far-lot", name="远处停车场"))
        manager = Operator(username="far-manager", display_name="远处经理", role=Role.MANAGER, password_hash=password_hash)
        db.add(manager)
        db.flush()
        db.add(OperatorSite(operator_id=manager.id, site_id=site.id))


def test_an_operator_bound_to_another_site_sees_none_of_these_passes(app: Flask, client: FlaskClient, login, elsewhere, product):
    client.post("/auth/logout", data={"csrf_token": csrf_token(client.get("/console/").get_data(as_text=True))})
    login("far-manager")
    assert client.get("/api/v1/passes").get_json() == []
    assert client.get("/api/v1/passes/1").status_code == 404
    assert client.get("/api/v1/pass-products").get_json() == []
    assert client.post("/api/v1/passes/1/suspend", json={}).status_code == 404
    assert issue(client, product).get_json()["error"]["field"] == "product_id"
