"""The coupon pages over HTTP: the merchant's page opens with its own key only, gives coupons to parked
cars and prints one-time QR codes that a driver claims once; the console's merchant and campaign pages;
their API twins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Coupon, CouponStatus
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services import merchants
from parking.services.merchants import MerchantFields
from parking.services.tariffs import publish_tariff
from parking.tariffs import examples
from tests.conftest import FIXED_NOW, Clock

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

PLATE, OTHER = "粤B12345", "粤B67890"
CODE = re.compile(r'data-code="([A-Za-z0-9_-]{20})"')


@pytest.fixture
def clocked(app: Flask) -> Clock:
    clock = Clock(FIXED_NOW + timedelta(minutes=20))
    app.config["PARKING_CLOCK"] = clock
    return clock


@pytest.fixture
def coupon_tariff(runtime: Runtime, village: DemoVillage) -> None:
    document = examples.document("13-old-community-visitor") | {"coupons": {"kinds": ["minutes", "amount", "percent", "free"], "max_count": 2}}
    with runtime.sessions() as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=document, valid_from=FIXED_NOW, now=FIXED_NOW)
        db.commit()


@pytest.fixture
def shop(runtime: Runtime, village: DemoVillage) -> tuple[int, str]:
    """和谐超市 of the community lot: minutes up to 2 h and amounts up to 10 yuan; (id, key of its page)."""
    with runtime.sessions() as db:
        made, key = merchants.create(db, MerchantFields(lot_id=village.community_lot_id, name="和谐超市", kinds={"minutes": 120, "amount": 1000},
                                                        monthly_quota=20), operator_id=None, now=FIXED_NOW)
        return made.id, key


def _post(client: FlaskClient, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True)), **data})


def test_the_merchant_page_opens_with_its_key_and_is_not_found_without_it(client: FlaskClient, shop: tuple[int, str]) -> None:
    _, key = shop
    page = client.get(f"/m/{key}")
    assert page.status_code == 200
    assert "和谐超市 · 商户优惠券" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/m/{key[:-1]}x").status_code == 404
    assert client.get("/m/").status_code == 404
    assert client.post(f"/m/mk_{'A' * 32}", data={"action": "give"}).status_code in {400, 404}


def test_the_merchant_gives_a_coupon_to_a_parked_car(client: FlaskClient, runtime: Runtime, village: DemoVillage, shop: tuple[int, str],
                                                     coupon_tariff: None, clocked: Clock, admit) -> None:  # type: ignore[no-untyped-def]
    admit(PLATE)
    _, key = shop
    response = _post(client, f"/m/{key}", {"action": "give", "plate": "粤b12345", "kind": "amount", "value": "5"})
    assert response.status_code == 303
    page = client.get(f"/m/{key}").get_data(as_text=True)
    assert "已给 粤B12345 发放优惠券：抵扣停车费 5.00 元，离场时自动抵扣。" in page
    assert [(c["merchant"], c["kind"], c["value"]) for c in runtime.store.open_session(village.community_lot_id, PLATE)["coupons"]] == [
        ("和谐超市", "amount", 500)]
    refused = _post(client, f"/m/{key}", {"action": "give", "plate": OTHER, "kind": "amount", "value": "5"})
    assert refused.status_code == 422
    assert "车辆 粤B67890 现在不在停车场内。" in refused.get_data(as_text=True)
    over = _post(client, f"/m/{key}", {"action": "give", "plate": PLATE, "kind": "amount", "value": "12"})
    assert "超出本商户可发放的额度（最多 1000）。" in over.get_data(as_text=True)


def test_a_printed_qr_code_is_claimed_once(client: FlaskClient, app: Flask, runtime: Runtime, village: DemoVillage, shop: tuple[int, str],
                                           coupon_tariff: None, clocked: Clock, admit) -> None:  # type: ignore[no-untyped-def]
    admit(PLATE, OTHER)  # 17:30 and 17:31 local
    _, key = shop
    sheet = _post(client, f"/m/{key}", {"action": "print", "print_kind": "minutes", "print_value": "60", "count": "2", "days": "7"})
    assert sheet.status_code == 200
    html = sheet.get_data(as_text=True)
    codes = CODE.findall(html)
    assert len(codes) == 2 and html.count("<svg") == 2
    assert "扫码领取，有效期至 2026-12-02" in html
    driver = app.test_client()
    claim = f"/c/{codes[0]}"
    page = driver.get(claim).get_data(as_text=True)
    assert "和谐超市" in page and "减免停车时长 60 分钟" in page
    wrong = _post(driver, claim, {"plate": PLATE, "entry_time": "17:45"})
    assert wrong.status_code == 422
    assert "没有找到该车牌在这个时间入场的停车记录" in wrong.get_data(as_text=True)
    done = _post(driver, claim, {"plate": PLATE, "entry_time": "17:22"})
    assert done.status_code == 200
    assert "领取成功：离场时自动抵扣停车费，无需出示。" in done.get_data(as_text=True)
    again = driver.post(claim, data={"csrf_token": csrf_token(page), "plate": OTHER, "entry_time": "17:31"})
    assert again.status_code == 409
    assert "这张优惠券已被领取，用于另一次停车。" in again.get_data(as_text=True)
    assert "这张优惠券已被领取" in driver.get(claim).get_data(as_text=True)
    assert [c["code"] for c in runtime.store.open_session(village.community_lot_id, PLATE)["coupons"]] == [codes[0]]
    assert runtime.store.open_session(village.community_lot_id, OTHER).get("coupons") is None
    assert driver.get("/c/" + "x" * 20).status_code == 404


def test_the_console_adds_a_merchant_and_shows_its_link_once(client: FlaskClient, login, village: DemoVillage, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    response = _post(client, "/console/merchants", {"lot_id": village.community_lot_id, "name": "老王面馆", "contact": "王 13800000000",
                                                     "minutes": "60", "amount_yuan": "5", "monthly_quota": "100", "active": "y"})
    assert response.status_code == 200
    link = re.search(r'<code class="secret">http://localhost/m/(mk_[A-Za-z0-9_-]{32})</code>', response.get_data(as_text=True))
    assert link is not None
    assert client.get(f"/m/{link.group(1)}").status_code == 200
    listing = client.get("/console/merchants").get_data(as_text=True)
    assert "老王面馆" in listing and "减免时长 最多 60 分钟；抵扣金额 最多 5.00 元" in listing and link.group(1) not in listing
    with runtime.sessions() as db:
        assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "merchant.create")) == "merchant.create"
    bad = _post(client, "/console/merchants", {"lot_id": village.community_lot_id, "name": "老王面馆", "minutes": "60", "monthly_quota": "0"})
    assert bad.status_code == 422 and "该停车场已有名为“老王面馆”的商户。" in bad.get_data(as_text=True)


def test_the_console_lists_a_merchants_coupons_of_the_month(client: FlaskClient, login, shop: tuple[int, str], runtime: Runtime,
                                                            clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    merchant_id, key = shop
    _post(client, f"/m/{key}", {"action": "print", "print_kind": "amount", "print_value": "3", "count": "3", "days": "1"})
    login("admin")
    page = client.get(f"/console/merchants/{merchant_id}").get_data(as_text=True)
    assert "本月已发放 3 张，额度 20 张，还可发放 17 张" in page
    assert page.count("抵扣停车费 3.00 元") == 3
    with runtime.sessions() as db:
        coupon_id = db.scalars(select(Coupon.id).order_by(Coupon.id)).first()
    assert client.post(f"/console/coupons/{coupon_id}/void", data={"csrf_token": csrf_token(page)}).status_code == 302
    with runtime.sessions() as db:
        assert db.get(Coupon, coupon_id).status == CouponStatus.VOID


def test_the_console_adds_a_campaign(client: FlaskClient, login, village: DemoVillage, clocked: Clock) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    response = _post(client, "/console/campaigns", {"lot_id": village.community_lot_id, "name": "公益免费停车", "kind": "free", "value": "",
                                                     "starts_at": "2026-11-26T00:00", "ends_at": "2026-11-27T00:00", "active": "y"})
    assert response.status_code == 302
    page = client.get("/console/campaigns").get_data(as_text=True)
    assert "公益免费停车" in page and "2026-11-26 00:00" in page and "未开始" in page
    empty = _post(client, "/console/campaigns", {"lot_id": village.community_lot_id, "name": "x", "kind": "free",
                                                  "starts_at": "2026-11-27T00:00", "ends_at": "2026-11-26T00:00"})
    assert empty.status_code == 422 and "结束时间应晚于开始时间。" in empty.get_data(as_text=True)


def test_the_api_creates_a_merchant_gives_a_coupon_and_lists_it(client: FlaskClient, login, village: DemoVillage, coupon_tariff: None,
                                                                clocked: Clock, admit) -> None:  # type: ignore[no-untyped-def]
    admit(PLATE)
    login("manager")
    made = client.post("/api/v1/merchants", json={"lot_id": village.community_lot_id, "name": "便利店", "kinds": {"minutes": 30}})
    assert made.status_code == 201
    body = made.get_json()
    assert re.fullmatch(r"mk_[A-Za-z0-9_-]{32}", body["key"]) and body["page"] == f"http://localhost/m/{body['key']}"
    given = client.post("/api/v1/coupons", json={"merchant_id": body["id"], "kind": "minutes", "value": 30, "plate": PLATE})
    assert given.status_code == 201
    assert [(c["plate"], c["status"], c["value"]) for c in given.get_json()] == [(PLATE, "issued", 30)]
    refused = client.post("/api/v1/coupons", json={"merchant_id": body["id"], "kind": "amount", "value": 100, "plate": PLATE})
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (422, "kind")
    listed = client.get(f"/api/v1/merchants?lot_id={village.community_lot_id}").get_json()
    assert [(m["name"], m["issued_this_month"], m["used_this_month"]) for m in listed] == [("便利店", 1, 0)]
    assert "key" not in listed[0]
    campaign = client.post("/api/v1/campaigns", json={"lot_id": village.community_lot_id, "name": "公益免费停车", "kind": "free",
                                                      "starts_at": "2026-11-26T00:00:00+08:00", "ends_at": "2026-11-27T00:00:00+08:00"})
    assert campaign.status_code == 201
    assert [c["name"] for c in client.get("/api/v1/campaigns").get_json()] == ["公益免费停车"]
