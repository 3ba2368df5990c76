"""Shifts at the booth (交班) in the console and the API: open with the change float, the live report, close
with the counted cash (the difference shown before confirming), a shift closed once, managers confirm
(never their own), the printable report, and who sees which shift."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Operator, Shift, ShiftStatus
from parking.plates import parse
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services import ledger, shifts
from parking.services.site import load_lots
from parking.services.tokens import issue_token
from tests.conftest import FIXED_NOW, TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]


@pytest.fixture(autouse=True)
def fixed_clock(app: Flask) -> None:
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(hours=3)


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-(?:info|error)" role="status">([^<]*)</p>', html)


def form_post(client: FlaskClient, page: str, path: str, **data: object) -> str:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True).get_data(as_text=True)


def open_shift(client: FlaskClient, village: DemoVillage, float_yuan: str = "100") -> str:
    return form_post(client, "/console/shift", "/console/shift/open", lot_id=village.community_lot_id,
                     lane_id=village.lane("east-out").id, opening_float=float_yuan)


def the_shift(runtime: Runtime, username: str = "attendant") -> Shift:
    with runtime.sessions() as db:
        found = db.scalar(select(Shift).join(Operator, Operator.id == Shift.operator_id).where(Operator.username == username))
        assert found is not None
        db.expunge(found)
        return found


def take_cash(runtime: Runtime, village: DemoVillage, admit, plate: str = "粤B12345", given_fen: int = 1000) -> None:  # type: ignore[no-untyped-def]
    """A car parked since FIXED_NOW pays its 10 yuan in cash in the attendant's shift, three hours later."""
    admit(plate)
    at = FIXED_NOW + timedelta(hours=3)
    with runtime.sessions() as db:
        lot = load_lots(db, runtime.settings.timezone, at)[village.community_lot_id]
        shift = shifts.current_shift(db, db.scalar(select(Operator.id).where(Operator.username == "attendant")))
        ledger.take_cash(db, runtime.store, lot, parse(plate), given_fen=given_fen, shift=shift, at=at)  # type: ignore[arg-type]


def report_row(html: str, row: str) -> list[str]:
    found = re.search(rf'<tr data-row="{row}">(.*?)</tr>', html, re.S)
    assert found, row
    return [cell.strip() for cell in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", found.group(1))]


def test_an_attendant_opens_a_shift_with_the_change_float_and_sees_its_live_report(client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert "开班后才能在岗亭收现金" in client.get("/console/shift").get_data(as_text=True)
    html = open_shift(client, village, "100.5")
    assert flashes(html) == ["已开班，备用金 100.50 元。"]
    take_cash(runtime, village, admit)
    html = client.get("/console/shift").get_data(as_text=True)
    assert report_row(html, "float") == ["备用金", "", "100.50"]
    assert report_row(html, "received-cash") == ["收款 · 现金", "1", "10.00"]
    assert report_row(html, "expected") == ["应有现金", "", "110.50"]
    assert 'data-field="lot">和谐里小区 · 东门出口</td>' in html
    shift = the_shift(runtime)
    assert (shift.opening_float_fen, shift.status) == (10050, ShiftStatus.OPEN)


def test_a_second_open_shift_is_refused_in_words(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    token = csrf_token(client.get("/console/lanes").get_data(as_text=True))
    html = client.post("/console/shift/open", data={"csrf_token": token, "lot_id": village.community_lot_id, "lane_id": 0,
                                                    "opening_float": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "您已有一个未交班的班次，请先交班。" in flashes(html)


def test_closing_shows_the_difference_before_confirming_and_a_closed_shift_cannot_be_closed_again(client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    take_cash(runtime, village, admit)
    preview = form_post(client, "/console/shift", "/console/shift/close", counted="105", note="少了五元")
    assert re.search(r'data-field="close-preview">应有现金 110.00 元，清点 105.00 元，差额 -5.00 元。</p>', preview)
    assert the_shift(runtime).status == ShiftStatus.OPEN  # nothing closed yet
    token = csrf_token(preview)
    html = client.post("/console/shift/close", data={"csrf_token": token, "counted": "105", "note": "少了五元", "expected_fen": "11000",
                                                     "confirm": "1"}, follow_redirects=True).get_data(as_text=True)
    assert flashes(html) == ["已交班：应有现金 110.00 元，清点 105.00 元，差额 -5.00 元。"]
    assert report_row(html, "difference") == ["差额（清点 − 应有）", "", "-5.00"]
    shift = the_shift(runtime)
    assert (shift.status, shift.expected_cash_fen, shift.counted_cash_fen, shift.difference_fen, shift.note) == (
        ShiftStatus.CLOSED, 11000, 10500, -500, "少了五元")
    again = client.post("/console/shift/close", data={"csrf_token": token, "counted": "105", "expected_fen": "11000", "confirm": "1"},
                        follow_redirects=True).get_data(as_text=True)
    assert flashes(again) == ["您没有未交班的班次。"]
    assert the_shift(runtime).counted_cash_fen == 10500


def test_a_payment_between_showing_and_confirming_shows_the_difference_again(client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    token = csrf_token(form_post(client, "/console/shift", "/console/shift/close", counted="100"))
    take_cash(runtime, village, admit)
    html = client.post("/console/shift/close", data={"csrf_token": token, "counted": "100", "expected_fen": "10000", "confirm": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert flashes(html) == ["应有现金已变为 110.00 元，请核对差额后再确认交班。"]
    assert "应有现金 110.00 元，清点 100.00 元，差额 -10.00 元。" in html
    assert the_shift(runtime).status == ShiftStatus.OPEN


@pytest.mark.parametrize(("counted", "message"), [("", "请填写清点的现金。"), ("9.999", "请填写金额（元），最多两位小数，例如 50 或 12.50。")])
def test_a_counted_cash_that_is_not_an_amount_is_refused(client: FlaskClient, login, village: DemoVillage, counted: str, message: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    html = form_post(client, "/console/shift", "/console/shift/close", counted=counted)
    assert f'<span class="field-error">{message}</span>' in html


def close_shift(client: FlaskClient, counted: str) -> str:
    preview = form_post(client, "/console/shift", "/console/shift/close", counted=counted)
    expected = re.search(r'name="expected_fen" type="hidden" value="(\d+)"', preview)
    assert expected, preview
    return client.post("/console/shift/close", data={"csrf_token": csrf_token(preview), "counted": counted, "expected_fen": expected.group(1),
                                                     "confirm": "1"}, follow_redirects=True).get_data(as_text=True)


def test_a_manager_confirms_a_closed_shift_from_the_list_but_not_their_own(app: Flask, client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    close_shift(client, "95")
    attendant_shift = the_shift(runtime)
    assert client.get(f"/console/shifts/{attendant_shift.uid}").status_code == 200
    token = csrf_token(client.get("/console/shift").get_data(as_text=True))
    assert client.post(f"/console/shifts/{attendant_shift.uid}/confirm", data={"csrf_token": token}).status_code == 403

    manager = app.test_client()
    page = manager.get("/auth/login")
    manager.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "manager", "password": TEST_PASSWORD})
    listing = manager.get("/console/shifts").get_data(as_text=True)
    waiting = listing.split('data-field="waiting"', 1)[1].split('data-field="others"', 1)[0]
    assert f'data-shift="{attendant_shift.uid}"' in waiting and 'data-field="difference">-5.00</td>' in waiting
    html = form_post(manager, "/console/shifts", f"/console/shifts/{attendant_shift.uid}/confirm")
    assert flashes(html) == ["已确认 岗亭值班员 的班次（差额 -5.00 元）。"]
    assert the_shift(runtime).status == ShiftStatus.CONFIRMED
    again = form_post(manager, "/console/shifts", f"/console/shifts/{attendant_shift.uid}/confirm")
    assert flashes(again) == ["此班次已确认。"]

    open_shift(manager, village)
    close_shift(manager, "100")
    own = the_shift(runtime, "manager")
    page = manager.get(f"/console/shifts/{own.uid}").get_data(as_text=True)
    assert "自己的班次需由其他管理人员确认。" in page
    assert flashes(form_post(manager, "/console/shifts", f"/console/shifts/{own.uid}/confirm")) == ["不能确认自己的班次，请由其他管理人员确认。"]
    assert client.get(f"/console/shifts/{own.uid}").status_code == 404  # an attendant sees only their own shifts


def test_the_printable_shift_report(client: FlaskClient, login, admit, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    take_cash(runtime, village, admit)
    close_shift(client, "110")
    html = client.get(f"/console/shifts/{the_shift(runtime).uid}/print").get_data(as_text=True)
    assert '<body class="print paper-80">' in html and 'data-action="print"' in html
    assert report_row(html, "received-cash") == ["收款 · 现金", "1", "10.00"]
    assert report_row(html, "counted") == ["清点现金", "", "110.00"]
    assert report_row(html, "difference") == ["差额（清点 − 应有）", "", "0.00"]
    assert "值班员签字" in html


# -- the API ------------------------------------------------------------------------------------------

def test_the_api_opens_closes_and_confirms_shifts_by_role(app: Flask, client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    opened = client.post("/api/v1/shifts", json={"lot_id": village.community_lot_id, "lane_id": village.lane("east-out").id,
                                                 "opening_float_fen": 10000})
    assert opened.status_code == 201
    body = opened.get_json()
    assert (body["status"], body["opening_float_fen"], body["report"]["expected_cash_fen"]) == ("open", 10000, 10000)
    uid = body["uid"]
    second = client.post("/api/v1/shifts", json={"lot_id": village.community_lot_id})
    assert (second.status_code, second.get_json()["error"]["field"]) == (409, "shift")
    assert [s["uid"] for s in client.get("/api/v1/shifts").get_json()] == [uid]
    closed = client.post(f"/api/v1/shifts/{uid}/close", json={"counted_cash_fen": 9500})
    assert (closed.status_code, closed.get_json()["difference_fen"], closed.get_json()["status"]) == (200, -500, "closed")
    twice = client.post(f"/api/v1/shifts/{uid}/close", json={"counted_cash_fen": 9500})
    assert twice.status_code == 409 and twice.get_json()["error"]["message"] == "shift: this shift is already closed"
    assert client.post(f"/api/v1/shifts/{uid}/confirm").status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf_token(client.get("/console/shift").get_data(as_text=True))})
    login("manager")
    confirmed = client.post(f"/api/v1/shifts/{uid}/confirm")
    assert (confirmed.status_code, confirmed.get_json()["status"]) == (200, "confirmed")
    assert client.get(f"/api/v1/shifts/{uid}").get_json()["report"]["expected_cash_fen"] == 10000


@pytest.mark.parametrize(("body", "field"), [
    ({}, "lot_id"),
    ({"lot_id": 999}, "lot_id"),
    ({"lot_id": 1, "opening_float_fen": -1}, "opening_float_fen"),
    ({"lot_id": 1, "opening_float_fen": 1_000_001}, "opening_float_fen"),
    ({"lot_id": 1, "lane_id": 999}, "lane_id"),
    ({"lot_id": 1, "operator_id": 1}, "operator_id"),
    ({"lot_id": 1, "float": 1}, "float"),
])
def test_the_api_refuses_a_bad_opening_naming_the_field(client: FlaskClient, login, body: dict[str, object], field: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.post("/api/v1/shifts", json=body)
    assert (response.status_code, response.get_json()["error"]["field"]) == (422, field)


def test_a_token_opens_a_shift_for_the_attendant_it_names(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    with runtime.sessions() as db:
        secret = issue_token(db, name="booth kiosk", scopes=["shifts:write", "shifts:read"], now=FIXED_NOW).secret
        attendant = db.scalar(select(Operator.id).where(Operator.username == "attendant"))
    headers = {"Authorization": f"Bearer {secret}"}
    unnamed = client.post("/api/v1/shifts", json={"lot_id": village.community_lot_id}, headers=headers)
    assert (unnamed.status_code, unnamed.get_json()["error"]["field"]) == (422, "operator_id")
    opened = client.post("/api/v1/shifts", json={"lot_id": village.community_lot_id, "operator_id": attendant}, headers=headers)
    assert (opened.status_code, opened.get_json()["operator_id"]) == (201, attendant)
    closed = client.post(f"/api/v1/shifts/{opened.get_json()['uid']}/close", json={"counted_cash_fen": 0}, headers=headers)
    assert (closed.status_code, closed.get_json()["status"]) == (200, "closed")
