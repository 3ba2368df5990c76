"""The payment and arrears pages and their API: lists with filters and paging, one payment with its refunds,
refunds by a manager (in the console and the API), arrears with their ageing and writing them off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Arrears, Operator, Payment
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services import arrears, ledger, shifts
from parking.services.tokens import issue_token
from tests.conftest import FIXED_NOW
from tests.integration.money.fake_platform import FakePlatform

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]


def _ids(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as db:
        return {o.username: o.id for o in db.scalars(select(Operator))}


def owes(runtime: Runtime, village: DemoVillage, plate: str, fen: int, days_ago: int, session: str | None = None) -> str:
    with runtime.sessions() as db:
        return arrears.record_arrears(db, runtime.store, lot_id=village.community_lot_id, plate=plate, session_uid=session, amount_fen=fen,
                                      reason="未缴费离场", lane_id=None, operator_id=None, shift_id=None,
                                      at=FIXED_NOW - timedelta(days=days_ago)).uid


@pytest.fixture
def platform(app: Flask) -> FakePlatform:
    found = FakePlatform("wechat")
    app.extensions["payments"] = {"wechat": found}
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    return found


@pytest.fixture
def paid(runtime: Runtime, village: DemoVillage, platform: FakePlatform) -> dict[str, str]:
    """Two plates that owed and paid back: 粤B11111 10 yuan in cash at the booth, 粤B22222 20 yuan by WeChat."""
    owes(runtime, village, "粤B11111", 1000, 3)
    owes(runtime, village, "粤B22222", 2000, 40)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=_ids(runtime)["attendant"], lot_id=village.community_lot_id, at=FIXED_NOW)
        cash, _ = arrears.pay_arrears_cash(db, runtime.store, plate="粤B11111", given_fen=1000, shift=shift, at=FIXED_NOW)
        order = arrears.place_arrears_order(db, runtime.store, platform, plate="粤B22222", lot_id=village.community_lot_id, at=FIXED_NOW)
        ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=2000, transaction_id=platform.pay(order.uid),
                       paid_at=FIXED_NOW, now=FIXED_NOW)
        return {"cash": cash.uid, "wechat": order.uid}


def test_the_payments_list_filters_by_method_and_plate(client: FlaskClient, login, paid) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    page = client.get("/console/payments?method=wechat").get_data(as_text=True)
    assert f'data-payment="{paid["wechat"]}"' in page and f'data-payment="{paid["cash"]}"' not in page
    page = client.get("/console/payments?plate=11111").get_data(as_text=True)
    assert f'data-payment="{paid["cash"]}"' in page and "补缴欠费" in page and "现金" in page


def test_an_attendant_reads_a_payment_but_is_not_offered_the_refund(client: FlaskClient, login, paid) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    page = client.get(f"/console/payments/{paid['wechat']}").get_data(as_text=True)
    assert "20.00" in page and 'id="refund"' not in page
    assert client.post(f"/console/payments/{paid['wechat']}/refund", data={"csrf_token": csrf_token(page)}).status_code == 403


def test_a_manager_refunds_part_of_a_payment_from_its_page(client: FlaskClient, login, paid, platform, runtime) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    page = client.get(f"/console/payments/{paid['wechat']}").get_data(as_text=True)
    response = client.post(f"/console/payments/{paid['wechat']}/refund", data={"csrf_token": csrf_token(page), "amount": "5.50", "reason": "多收"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已退款 5.50 元。" in shown and 'data-field="refundable">14.50' in shown
    assert platform.refunds[0].refund_fen == 550


def test_a_refund_above_what_is_left_is_said_under_the_amount(client: FlaskClient, login, paid, runtime) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    page = client.get(f"/console/payments/{paid['wechat']}").get_data(as_text=True)
    response = client.post(f"/console/payments/{paid['wechat']}/refund", data={"csrf_token": csrf_token(page), "amount": "30", "reason": "多收"})
    assert response.status_code == 422
    assert "退款 30.00 元超过可退的 20.00 元。" in response.get_data(as_text=True)
    with runtime.sessions() as db:
        assert db.scalar(select(Payment.refunded_fen).where(Payment.uid == paid["wechat"])) == 0


def test_a_cash_refund_without_an_open_shift_is_refused_in_words(client: FlaskClient, login, paid) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    page = client.get(f"/console/payments/{paid['cash']}").get_data(as_text=True)
    response = client.post(f"/console/payments/{paid['cash']}/refund", data={"csrf_token": csrf_token(page), "amount": "10", "reason": "多收"})
    assert response.status_code == 409
    assert "现金退款在岗亭当面退还：请先在该停车场开班。" in response.get_data(as_text=True)


def test_the_arrears_page_shows_the_ageing_and_a_manager_writes_one_off(client: FlaskClient, login, runtime, village) -> None:  # type: ignore[no-untyped-def]
    client.application.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    owes(runtime, village, "粤B33333", 500, 2)
    owes(runtime, village, "粤B44444", 700, 20)
    uid = owes(runtime, village, "粤B55555", 900, 120)
    login("manager")
    page = client.get("/console/arrears").get_data(as_text=True)
    assert "未缴清的欠费共 21.00 元" in page
    assert '<tr data-band="0-7"><td>0–7 天</td><td class="num">1</td><td class="num">5.00</td></tr>' in page
    assert '<td>90 天以上</td><td class="num">1</td><td class="num">9.00</td>' in page
    response = client.post(f"/console/arrears/{uid}/waive", data={"csrf_token": csrf_token(page), "reason": "车主已搬离"})
    assert response.status_code == 302
    assert "已减免 粤B55555 的欠费 9.00 元。" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert runtime.store.facts.for_plate(village.community_lot_id, "粤B55555").arrears_fen == 0
    page = client.get("/console/arrears?plate=B444").get_data(as_text=True)
    assert "粤B44444" in page and "粤B33333" not in page


def test_an_attendant_reads_the_arrears_but_may_not_write_them_off(client: FlaskClient, login, runtime, village) -> None:  # type: ignore[no-untyped-def]
    uid = owes(runtime, village, "粤B33333", 500, 2)
    login("attendant")
    page = client.get("/console/arrears").get_data(as_text=True)
    assert "粤B33333" in page and "减免原因" not in page
    assert client.post(f"/console/arrears/{uid}/waive", data={"csrf_token": csrf_token(page), "reason": "x"}).status_code == 403


# -- the API --------------------------------------------------------------------------------------------
def _bearer(runtime: Runtime, *scopes: str) -> dict[str, str]:
    with runtime.sessions() as db:
        return {"Authorization": f"Bearer {issue_token(db, name='ledger', scopes=scopes, now=FIXED_NOW).secret}"}


def test_the_api_lists_payments_paged_and_filtered(client: FlaskClient, runtime, paid) -> None:  # type: ignore[no-untyped-def]
    headers = _bearer(runtime, "payments:read")
    body = client.get("/api/v1/payments?per_page=1&page=2", headers=headers).get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (2, 2, 1)
    body = client.get("/api/v1/payments?method=cash", headers=headers).get_json()
    assert [(p["uid"], p["purpose"], p["amount_fen"], p["arrears_fen"], p["status"]) for p in body["items"]] == [
        (paid["cash"], "arrears", 1000, 1000, "paid")]
    assert client.get("/api/v1/payments?method=bitcoin", headers=headers).get_json()["error"]["field"] == "method"


def test_the_api_shows_one_payment_with_the_arrears_it_paid_back(client: FlaskClient, runtime, paid) -> None:  # type: ignore[no-untyped-def]
    body = client.get(f"/api/v1/payments/{paid['wechat']}", headers=_bearer(runtime, "payments:read")).get_json()
    assert (body["method"], body["refundable_fen"], body["refunds"], [r["amount_fen"] for r in body["paid_back"]]) == ("wechat", 2000, [], [2000])
    assert client.get(f"/api/v1/payments/{'0' * 32}", headers=_bearer(runtime, "payments:read")).status_code == 404


def test_a_manager_refunds_through_the_api(client: FlaskClient, login, runtime, paid, platform) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    response = client.post(f"/api/v1/payments/{paid['wechat']}/refunds", json={"amount_fen": 2000, "reason": "重复支付"})
    assert response.status_code == 201
    assert (response.get_json()["status"], response.get_json()["amount_fen"]) == ("refunded", 2000)
    again = client.post(f"/api/v1/payments/{paid['wechat']}/refunds", json={"amount_fen": 1, "reason": "重复支付"})
    assert (again.status_code, again.get_json()["error"]["field"]) == (422, "amount_fen")
    assert client.get(f"/api/v1/payments/{paid['wechat']}").get_json()["status"] == "refunded"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"amount_fen": 0, "reason": "多收"}, 422, "amount_fen"),
    ({"amount_fen": 100, "reason": ""}, 422, "reason"),
    ({"amount_fen": 100}, 422, "reason"),
])
def test_a_bad_refund_through_the_api_names_the_field(client: FlaskClient, login, paid, body, status, field) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    response = client.post(f"/api/v1/payments/{paid['wechat']}/refunds", json=body)
    assert (response.status_code, response.get_json()["error"]["field"]) == (status, field)


def test_an_attendant_and_a_token_cannot_refund(client: FlaskClient, login, runtime, paid) -> None:  # type: ignore[no-untyped-def]
    token = client.post(f"/api/v1/payments/{paid['wechat']}/refunds", json={"amount_fen": 100, "reason": "多收"},
                        headers=_bearer(runtime, "payments:write"))
    assert (token.status_code, token.get_json()["error"]["field"]) == (422, "operator")
    login("attendant")
    assert client.post(f"/api/v1/payments/{paid['wechat']}/refunds", json={"amount_fen": 100, "reason": "多收"}).status_code == 403


def test_the_api_lists_arrears_with_their_ageing(client: FlaskClient, runtime, village, app) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    owes(runtime, village, "粤B33333", 500, 2)
    owes(runtime, village, "粤B44444", 700, 45)
    body = client.get("/api/v1/arrears", headers=_bearer(runtime, "payments:read")).get_json()
    assert [(a["plate"], a["owed_fen"], a["age_days"], a["age_band"]) for a in body["items"]] == [("粤B44444", 700, 45, "31-90"), ("粤B33333", 500, 2, "0-7")]
    assert (body["owed_fen"], [(b["band"], b["count"], b["owed_fen"]) for b in body["ageing"]]) == (
        1200, [("0-7", 1, 500), ("8-30", 0, 0), ("31-90", 1, 700), (">90", 0, 0)])
    body = client.get("/api/v1/arrears?plate=333&per_page=1", headers=_bearer(runtime, "payments:read")).get_json()
    assert (body["total"], body["items"][0]["plate"]) == (1, "粤B33333")
    with runtime.sessions() as db:
        assert db.scalar(select(Arrears.lot_id).where(Arrears.plate == "粤B33333")) == village.community_lot_id
