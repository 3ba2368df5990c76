"""``/api/v1/lots/<id>/fee``: the fee a parked car would pay if it left at a given moment.

The demo community lot bills by tariff 13 (老旧小区访客): up to 1 h free, 1–2 h 5 元, 2–8 h 10 元.
``admit`` drives 粤B12345 in at ``FIXED_NOW``, 17:30 in Shanghai.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]

PLATE = "粤B12345"


def _error(code: int, status: str, message: str, field: str | None = None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


@pytest.fixture
def parked(admit, login, village: DemoVillage) -> str:  # type: ignore[no-untyped-def]
    """粤B12345 parked in the community lot since 17:30; an attendant signed in. The lot's fee URL."""
    admit(PLATE)
    login("attendant")
    return f"/api/v1/lots/{village.community_lot_id}/fee"


def test_leaving_at_18_00_within_the_first_hour_is_free(client: FlaskClient, parked: str, village: DemoVillage) -> None:
    response = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T18:00:00+08:00"})
    assert response.status_code == 200
    assert response.get_json() == {
        "plate": "粤B12345",
        "lot_id": village.community_lot_id,
        "entry_at": "2026-11-25T17:30:00+08:00",
        "at": "2026-11-25T18:00:00+08:00",
        "duration_minutes": 30,
        "due_fen": 0,
        "due_yuan": "0.00",
        "arrears_fen": 0,
        "reason": "free",
        "vehicle_class": "temporary",
        "tariff": "13-old-community-visitor",
        "lines": [
            {"start": "2026-11-25T17:30:00+08:00", "end": "2026-11-25T18:00:00+08:00", "rate": "0元/次", "units": 1, "amount_fen": 0, "rule": "停车1小时以内0元"},
        ],
    }


def test_what_the_plate_owes_from_an_earlier_stay_is_asked_with_the_fee(client: FlaskClient, parked: str, runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    from parking.services.arrears import record_arrears

    with runtime.sessions() as db:
        record_arrears(db, runtime.store, lot_id=village.office_lot_id, plate=PLATE, session_uid=None, amount_fen=800, reason="未缴费离场",
                       lane_id=None, operator_id=None, shift_id=None, at=FIXED_NOW - timedelta(days=3))
    body = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T19:00:00+08:00"}).get_json()
    assert (body["due_fen"], body["arrears_fen"], body["reason"]) == (1300, 800, "fee_due")


def test_leaving_after_ninety_minutes_costs_5_yuan(client: FlaskClient, parked: str) -> None:
    body = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T19:00:00+08:00"}).get_json()
    assert (body["duration_minutes"], body["due_fen"], body["due_yuan"], body["reason"]) == (90, 500, "5.00", "fee_due")
    assert body["lines"] == [
        {"start": "2026-11-25T17:30:00+08:00", "end": "2026-11-25T19:00:00+08:00", "rate": "5元/次", "units": 1, "amount_fen": 500, "rule": "停车1小时至2小时5元"},
    ]


def test_leaving_after_three_hours_costs_10_yuan(client: FlaskClient, parked: str) -> None:
    body = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T20:30:00+08:00"}).get_json()
    assert (body["duration_minutes"], body["due_fen"], body["due_yuan"]) == (180, 1000, "10.00")
    assert [line["rule"] for line in body["lines"]] == ["停车2小时至8小时10元"]


def test_a_moment_given_in_utc_is_answered_in_the_lots_time_zone(client: FlaskClient, parked: str) -> None:
    body = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T11:30:00Z"}).get_json()
    assert (body["at"], body["duration_minutes"], body["due_fen"]) == ("2026-11-25T19:30:00+08:00", 120, 500)  # 2 h exactly: still 1–2 h


def test_without_a_moment_the_fee_is_for_leaving_now(app: Flask, client: FlaskClient, parked: str) -> None:
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(minutes=75)
    body = client.get(parked, query_string={"plate": PLATE}).get_json()
    assert (body["at"], body["duration_minutes"], body["due_fen"], body["due_yuan"]) == ("2026-11-25T18:45:00+08:00", 75, 500, "5.00")


def test_seconds_are_not_billed(client: FlaskClient, parked: str) -> None:
    body = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T18:29:59+08:00"}).get_json()
    assert (body["at"], body["duration_minutes"], body["due_fen"]) == ("2026-11-25T18:29:59+08:00", 59, 0)


def test_a_plate_is_read_as_a_camera_reads_it(client: FlaskClient, parked: str) -> None:
    body = client.get(parked, query_string={"plate": " 粤b12345 ", "at": "2026-11-25T18:00:00+08:00"}).get_json()
    assert body["plate"] == "粤B12345"


def test_an_unencoded_plus_in_the_offset_is_still_read_as_plus(client: FlaskClient, parked: str) -> None:
    body = client.get(f"{parked}?plate={PLATE}&at=2026-11-25T19:00:00+08:00").get_json()
    assert (body["at"], body["due_fen"]) == ("2026-11-25T19:00:00+08:00", 500)


def test_a_plate_that_cannot_be_read_is_422_naming_the_plate(client: FlaskClient, parked: str) -> None:
    response = client.get(parked, query_string={"plate": "B12345"})
    assert response.status_code == 422
    assert response.get_json() == _error(
        422,
        "Unprocessable Entity",
        "plate: cannot read plate 'B12345': the province is missing: 'B12345' starts with 'B' where a province abbreviation such as 粤 or 京 was expected",
        "plate",
    )


def test_a_no_plate_read_is_422_naming_the_plate(client: FlaskClient, parked: str) -> None:
    response = client.get(parked, query_string={"plate": "_无_"})
    assert response.status_code == 422
    assert response.get_json() == _error(
        422,
        "Unprocessable Entity",
        "plate: '_无_' is a no-plate read; a fee is quoted for a plate, or for the virtual plate (无牌 + token) of a no-plate car",
        "plate",
    )


def test_the_plate_is_required(client: FlaskClient, parked: str) -> None:
    response = client.get(parked)
    assert response.get_json() == _error(422, "Unprocessable Entity", "plate: Missing data for required field.", "plate")


def test_a_moment_without_a_utc_offset_is_422_naming_it(client: FlaskClient, parked: str) -> None:
    response = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T18:00:00"})
    assert response.status_code == 422
    assert response.get_json() == _error(
        422, "Unprocessable Entity", "at: No UTC offset; expected a date and time with one, e.g. 2026-11-25T18:00:00+08:00.", "at"
    )


def test_a_moment_that_is_not_a_date_is_422_naming_it(client: FlaskClient, parked: str) -> None:
    response = client.get(parked, query_string={"plate": PLATE, "at": "18:00"})
    assert response.get_json() == _error(
        422, "Unprocessable Entity", "at: Not a valid ISO 8601 date and time; expected e.g. 2026-11-25T18:00:00+08:00.", "at"
    )


def test_a_moment_before_the_entry_is_422_naming_it(client: FlaskClient, parked: str) -> None:
    response = client.get(parked, query_string={"plate": PLATE, "at": "2026-11-25T17:00:00+08:00"})
    assert response.status_code == 422
    assert response.get_json() == _error(
        422, "Unprocessable Entity", "at=2026-11-25T17:00:00+08:00 is before the entry at 2026-11-25T17:30:00+08:00", "at"
    )


def test_a_plate_not_parked_in_the_lot_is_404_naming_the_plate(client: FlaskClient, parked: str) -> None:
    response = client.get(parked, query_string={"plate": "粤B54321"})
    assert response.status_code == 404
    assert response.get_json() == _error(404, "Not Found", "plate 粤B54321 is not parked in lot 和谐里小区", "plate")


def test_a_car_parked_in_another_lot_is_not_parked_in_this_one(client: FlaskClient, admit, parked: str, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    admit("粤B40002", lane_code="gate-in")
    office = client.get(f"/api/v1/lots/{village.office_lot_id}/fee", query_string={"plate": "粤B40002", "at": "2026-11-25T18:00:00+08:00"})
    community = client.get(parked, query_string={"plate": "粤B40002"})
    assert (office.status_code, office.get_json()["tariff"]) == (200, "14-vendor-rule-a")
    assert (community.status_code, community.get_json()["error"]["field"]) == (404, "plate")


def test_an_unknown_lot_is_404_naming_the_lot(client: FlaskClient, parked: str) -> None:
    response = client.get("/api/v1/lots/999/fee", query_string={"plate": PLATE})
    assert response.status_code == 404
    assert response.get_json() == _error(404, "Not Found", "lot 999 not found", "lot_id")


def test_a_quote_needs_sign_in(client: FlaskClient, village: DemoVillage) -> None:
    response = client.get(f"/api/v1/lots/{village.community_lot_id}/fee", query_string={"plate": PLATE})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == 401


def test_openapi_document_describes_the_query_and_the_quote(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/lots/{lot_id}/fee"]["get"]
    assert [(p["name"], p["required"]) for p in operation["parameters"]] == [("plate", True), ("at", False)]
    assert sorted(operation["responses"]) == ["200", "404", "422", "default"]
    schemas = document["components"]["schemas"]
    assert sorted(schemas["FeeQuote"]["properties"]) == [
        "arrears_fen", "at", "due_fen", "due_yuan", "duration_minutes", "entry_at", "lines", "lot_id", "plate", "reason", "tariff", "vehicle_class",
    ]
    assert sorted(schemas["FeeLine"]["properties"]) == ["amount_fen", "end", "rate", "rule", "start", "units"]
