"""The JSON API: resources, sign-in as JSON 401, one error shape, and the OpenAPI document."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from parking.runtime import Runtime
from parking.occupancy.store import Claim
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]


def _error(code: int, status: str, message: str, field: str | None = None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


def test_occupancy_equals_what_the_store_holds_after_admitting_four_cars(client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    admit("粤B10001", "粤B10002", "粤B10003")
    admit("粤B10004", zone_id=village.inner_zone_id)
    body = client.get(f"/api/v1/lots/{village.community_lot_id}/occupancy").get_json()
    assert {z["id"]: (z["present"], z["capacity"]) for z in body["zones"]} == runtime.store.occupancy(village.community_lot_id)
    zones = [{key: value for key, value in zone.items() if key != "pools"} for zone in body.pop("zones")]
    assert body == {"lot_id": village.community_lot_id, "name": "和谐里小区", "present": 4, "capacity": 52, "free": 48}
    assert zones == [
        {"id": village.outer_zone_id, "code": "outer", "name": "外场", "parent_id": None, "present": 3, "capacity": 40, "free": 37},
        {"id": village.inner_zone_id, "code": "inner", "name": "内场(业主区)", "parent_id": village.outer_zone_id, "present": 1, "capacity": 12, "free": 11},
    ]


def test_occupancy_counts_pools_the_store_counts(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    pools = {(village.outer_zone_id, "temporary"): 25, (village.outer_zone_id, "pass"): 15}
    runtime.store.set_capacities(village.community_lot_id, {village.outer_zone_id: 40}, pools, force=True)
    lane = village.lane("east-in")
    claim = (Claim(pool="pass", vehicle_class="monthly"),)
    assert runtime.store.admit(lane.lot_id, lane.zone_id, "粤B3M001", FIXED_NOW, lane_id=lane.id, claims=claim).outcome == "admitted"
    login("attendant")
    outer = client.get(f"/api/v1/lots/{village.community_lot_id}/occupancy").get_json()["zones"][0]
    assert outer["pools"] == [
        {"kind": "temporary", "present": 0, "capacity": 25, "free": 25},
        {"kind": "pass", "present": 1, "capacity": 15, "free": 14},
    ]


def test_lots_lists_both_demo_lots_with_zones_and_pools(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    lots = client.get("/api/v1/lots").get_json()
    assert [lot["name"] for lot in lots] == ["和谐里小区", "科技园办公楼停车场"]
    assert lots[0]["zones"][0]["pools"] == [{"kind": "temporary", "capacity": 25}, {"kind": "pass", "capacity": 15}]


def test_one_lot_by_id(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    lot = client.get(f"/api/v1/lots/{village.office_lot_id}").get_json()
    assert (lot["id"], lot["code"], lot["latitude"], lot["longitude"]) == (village.office_lot_id, "kj-office", 22.5402, 114.0551)


def test_lanes_with_direction_and_camera_serial(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    lanes = client.get(f"/api/v1/lanes?lot_id={village.office_lot_id}").get_json()
    assert [(lane["code"], lane["direction"], lane["camera_serial"]) for lane in lanes] == [
        ("gate-in", "entry", "VZ-KJ-IN"),
        ("gate-out", "exit", "VZ-KJ-OUT"),
    ]


def test_sessions_filtered_by_lot_and_status_and_paged(client: FlaskClient, login, admit, drive_out, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B30001", "粤B30002", "粤B30003")
    drive_out("粤B30001")
    login("attendant")
    body = client.get(f"/api/v1/sessions?lot_id={village.community_lot_id}&status=open&per_page=1&page=2").get_json()
    assert [s["plate"] for s in body["items"]] == ["粤B30002"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 1, 2, 2)
    assert body["items"][0]["entry_at"] == "2026-11-25T09:31:00+00:00"


def test_wrong_type_in_a_query_argument_names_the_field(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.get("/api/v1/sessions?lot_id=abc")
    assert response.status_code == 422
    assert response.get_json() == _error(422, "Unprocessable Entity", "lot_id: Not a valid integer.", "lot_id")


def test_value_out_of_range_names_the_field(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.get("/api/v1/sessions?status=parked")
    assert response.get_json() == _error(422, "Unprocessable Entity", "status: Must be one of: open, closed, voided.", "status")


def test_unknown_lot_is_404_naming_the_id(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.get("/api/v1/lots/999/occupancy")
    assert response.status_code == 404
    assert response.get_json() == _error(404, "Not Found", "lot 999 not found", "lot_id")


def test_unknown_lot_in_a_filter_is_404_naming_the_id(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert client.get("/api/v1/sessions?lot_id=999").get_json() == _error(404, "Not Found", "lot 999 not found", "lot_id")


def test_unauthenticated_api_call_is_401_json_not_a_redirect(client: FlaskClient) -> None:
    response = client.get("/api/v1/sessions")
    assert response.status_code == 401
    assert response.get_json() == _error(401, "Unauthorized", "sign in first: this resource needs an operator session")


def test_unauthenticated_call_is_401_before_its_arguments_are_checked(client: FlaskClient) -> None:
    assert client.get("/api/v1/sessions?page=abc").status_code == 401


def test_unknown_api_path_is_404_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_wrong_method_is_405_json_with_allow_header(client: FlaskClient) -> None:
    response = client.delete("/api/v1/public/availability")
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/public/availability", data=b"x" * (1024 * 1024 + 1), content_type="application/octet-stream")
    assert response.status_code == 413
    assert response.get_json() == _error(413, "Request Entity Too Large", "request body larger than 1048576 bytes")


def test_openapi_document_lists_every_path(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert sorted(document["paths"]) == [
        "/api/v1/arrears",
        "/api/v1/audit",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/config/devices/{device_id}",
        "/api/v1/config/devices/{device_id}/test",
        "/api/v1/config/lanes/{lane_id}",
        "/api/v1/config/lanes/{lane_id}/devices",
        "/api/v1/config/lots/{lot_id}",
        "/api/v1/config/lots/{lot_id}/capacities",
        "/api/v1/config/lots/{lot_id}/lanes",
        "/api/v1/config/lots/{lot_id}/zones",
        "/api/v1/config/site-file",
        "/api/v1/config/sites",
        "/api/v1/config/sites/{site_id}",
        "/api/v1/config/sites/{site_id}/lots",
        "/api/v1/config/zones/{zone_id}",
        "/api/v1/coupons",
        "/api/v1/coupons/{coupon_id}",
        "/api/v1/coupons/{coupon_id}/void",
        "/api/v1/lanes",
        "/api/v1/lanes/{lane_id}/commands",
        "/api/v1/lanes/{lane_id}/commands/{uid}",
        "/api/v1/lists",
        "/api/v1/lists/{entry_id}",
        "/api/v1/lots",
        "/api/v1/lots/{lot_id}",
        "/api/v1/lots/{lot_id}/fee",
        "/api/v1/lots/{lot_id}/occupancy",
        "/api/v1/lots/{lot_id}/tariff",
        "/api/v1/lots/{lot_id}/tariffs",
        "/api/v1/merchants",
        "/api/v1/merchants/{merchant_id}",
        "/api/v1/merchants/{merchant_id}/key",
        "/api/v1/operators",
        "/api/v1/operators/{operator_id}",
        "/api/v1/operators/{operator_id}/disable",
        "/api/v1/operators/{operator_id}/enable",
        "/api/v1/operators/{operator_id}/reset-password",
        "/api/v1/pass-products",
        "/api/v1/pass-products/{product_id}",
        "/api/v1/passes",
        "/api/v1/passes/expiring",
        "/api/v1/passes/export",
        "/api/v1/passes/import",
        "/api/v1/passes/{pass_id}",
        "/api/v1/passes/{pass_id}/end",
        "/api/v1/passes/{pass_id}/plates",
        "/api/v1/passes/{pass_id}/refund",
        "/api/v1/passes/{pass_id}/renew",
        "/api/v1/passes/{pass_id}/resume",
        "/api/v1/passes/{pass_id}/suspend",
        "/api/v1/payments",
        "/api/v1/payments/{uid}",
        "/api/v1/payments/{uid}/refunds",
        "/api/v1/public/availability",
        "/api/v1/reports/reconciliation",
        "/api/v1/reports/revenue",
        "/api/v1/sessions",
        "/api/v1/shifts",
        "/api/v1/shifts/{uid}",
        "/api/v1/shifts/{uid}/close",
        "/api/v1/shifts/{uid}/confirm",
        "/api/v1/tariffs",
        "/api/v1/tariffs/preview",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/visitors",
        "/api/v1/visitors/{visitor_id}",
    ]


def test_openapi_document_describes_the_error_shape(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert sorted(schemas["ErrorDetail"]["properties"]) == ["code", "field", "message", "status"]


def test_openapi_document_keeps_ids_read_only(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert all(schemas[name]["properties"]["id"]["readOnly"] for name in ("Lot", "Lane", "Session", "Pass"))
