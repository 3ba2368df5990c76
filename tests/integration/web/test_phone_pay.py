"""Paying by phone: the exit lane's QR (出口码), paying ahead inside the lot (场内预付), the result page and
its status poll, the platforms' notifications and the e-receipt, over the real ledger, Redis and lanes.

The platforms here are a small in-test provider (``pay_platform.Platform``) signing its notifications with an HMAC;
the real WeChat Pay and Alipay providers against their simulators are in tests/e2e/test_payment_platforms.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from parking.models import AuditEvent, Payment
from parking.payments.cash import CashProvider
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.pay_links import PayLinks
from parking.worker import settle_payments
from tests.conftest import Clock
from web import create_app

from ..core.conftest import Site, site  # noqa: F401  (the lane-deciding site, re-exported for these tests)
from .conftest import csrf_token
from .pay_platform import Platform, notify

pytestmark = [pytest.mark.database, pytest.mark.redis]

PLATE = "粤B12345"
FUZZ = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@pytest.fixture
def platforms() -> dict[str, Platform]:
    return {"wechat": Platform("wechat"), "alipay": Platform("alipay")}


@pytest.fixture
def app(runtime: Runtime, village: DemoVillage, clock: Clock, platforms: dict[str, Platform]) -> Flask:
    app = create_app(runtime.settings, runtime=runtime, payments={"cash": CashProvider(clock=clock), **platforms})
    app.config.update(TESTING=True, PARKING_CLOCK=clock)
    return app


@pytest.fixture
def links(app: Flask) -> PayLinks:
    return PayLinks(app.config["SECRET_KEY"])


def exit_url(links: PayLinks, village: DemoVillage, lane: str = "east-out") -> str:
    return links.exit_path(lane, village.lane(lane).id)


def pay_from(client: FlaskClient, url: str, method: str):  # type: ignore[no-untyped-def]
    """Press a platform's button on the page at ``url``."""
    page = client.get(url).get_data(as_text=True)
    session = re.search(r'name="session" type="hidden" value="([^"]*)"', page)
    return client.post(url, data={"csrf_token": csrf_token(page), "session": session.group(1) if session else "", "method": method})


def order_code(response) -> str:  # type: ignore[no-untyped-def]
    match = re.fullmatch(r"/pay/order/([a-z2-7]+)\?go=1", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def held_at_the_exit(site: Site, hours: int = 3) -> None:
    site.read("east-in", PLATE)
    site.clock.advance(hours=hours)
    assert site.read("east-out", PLATE).outcome != "released"


def payments(runtime: Runtime) -> list[tuple[str, str, int, str]]:
    with runtime.sessions() as db:
        return [(p.method.value, p.status.value, p.amount_fen, p.scene) for p in db.scalars(select(Payment).order_by(Payment.id))]


def audits(runtime: Runtime, action: str) -> list[dict]:
    with runtime.sessions() as db:
        return [e.detail for e in db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


# -- the exit lane's QR ----------------------------------------------------------------------------------


def test_the_exit_qr_with_no_car_held_says_so(client: FlaskClient, links: PayLinks, village: DemoVillage) -> None:
    response = client.get(exit_url(links, village))
    assert response.status_code == 200
    assert "当前出口没有待缴费车辆" in response.get_data(as_text=True)


def test_the_exit_qr_shows_the_held_car_masked_with_every_line_of_its_fee(client: FlaskClient, links: PayLinks, village: DemoVillage,
                                                                           site: Site) -> None:
    held_at_the_exit(site)
    html = client.get(exit_url(links, village)).get_data(as_text=True)
    assert "粤B***45" in html and PLATE not in html
    assert 'data-due-fen="1000">10.00</b>' in html
    assert "2026-11-25 17:30" in html  # the entry, in the lot's time zone
    assert re.findall(r'class="period">(\d\d:\d\d–\d\d:\d\d)<', html) != []
    assert ">微信支付</button>" in html and ">支付宝</button>" in html


@pytest.mark.parametrize("url", [
    "/pay/exit/east-out?k=aaaaaaaaaaaaa",  # a key that is not this lane's
    "/pay/exit/east-out",  # no key
    "/pay/exit/nowhere?k=aaaaaaaaaaaaa",
])
def test_an_exit_qr_that_does_not_verify_is_not_found(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_an_entry_lanes_key_does_not_open_an_exit_page(client: FlaskClient, links: PayLinks, village: DemoVillage) -> None:
    assert client.get(links.exit_path("east-in", village.lane("east-in").id)).status_code == 404
    assert client.get(f"/pay/exit/east-out?k={links.exit_key(village.lane('east-in').id)}").status_code == 404


def test_paying_at_the_exit_places_a_phone_order_and_sends_the_payer_to_the_platform(
        client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, runtime: Runtime, platforms: dict[str, Platform]) -> None:
    held_at_the_exit(site)
    response = pay_from(client, exit_url(links, village), "wechat")
    assert response.status_code == 303
    code = order_code(response)
    assert payments(runtime) == [("wechat", "pending", 1000, "exit_qr")]
    (order,) = platforms["wechat"].orders.values()
    assert (order.scene, order.amount_fen, order.notify_url) == ("phone", 1000, "http://localhost/pay/notify/wechat")
    page = client.get(f"/pay/order/{code}?go=1").get_data(as_text=True)
    assert f'data-pay-url="https://pay.example/wechat/{order.out_trade_no}?x=1&amp;redirect_url=http%3A%2F%2Flocalhost%2Fpay%2Forder%2F{code}"' in page
    assert client.get(f"/pay/order/{code}/status").get_json()["state"] == "pending"


def test_an_exit_page_whose_car_was_replaced_does_not_pay_for_the_new_one(client: FlaskClient, links: PayLinks, village: DemoVillage,
                                                                           site: Site, runtime: Runtime) -> None:
    site.read("east-in", "粤B67890")
    held_at_the_exit(site)
    page = client.get(exit_url(links, village)).get_data(as_text=True)
    assert site.read("east-out", "粤B67890").outcome != "released"  # another car now waits at the barrier
    response = client.post(exit_url(links, village), data={"csrf_token": csrf_token(page), "method": "wechat",
                                                            "session": re.search(r'name="session" type="hidden" value="([^"]*)"', page).group(1)})
    assert response.status_code == 409
    assert "出口的车辆已变化" in response.get_data(as_text=True)
    assert payments(runtime) == []


def test_a_pay_form_without_its_csrf_token_is_refused(client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site,
                                                       runtime: Runtime) -> None:
    held_at_the_exit(site)
    assert client.post(exit_url(links, village), data={"method": "wechat"}).status_code == 400
    assert payments(runtime) == []


def test_an_unknown_payment_method_is_refused_in_words(client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site) -> None:
    held_at_the_exit(site)
    response = pay_from(client, exit_url(links, village), "bitcoin")
    assert response.status_code == 400
    assert "不支持此支付方式" in response.get_data(as_text=True)


# -- notifications -----------------------------------------------------------------------------------------


def _placed(client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, method: str = "wechat") -> tuple[str, str]:
    held_at_the_exit(site)
    code = order_code(pay_from(client, exit_url(links, village), method))
    uid = links.open_order(code)
    assert uid is not None
    return code, uid


def test_a_genuine_notification_books_the_payment_once_and_the_result_says_paid(
        client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, runtime: Runtime, clock: Clock) -> None:
    code, uid = _placed(client, links, village, site)
    for _ in range(2):  # the platform may say it twice
        response = notify(client, "wechat", uid, 1000, clock())
        assert (response.status_code, response.data) == (200, b"")
    assert payments(runtime) == [("wechat", "paid", 1000, "exit_qr")]
    assert runtime.store.open_session(village.community_lot_id, PLATE) is None or \
        runtime.store.open_session(village.community_lot_id, PLATE)["paid_fen"] == 1000
    status = client.get(f"/pay/order/{code}/status").get_json()
    assert (status["state"], status["final"], status["amount_fen"]) == ("paid", True, 1000)


def test_a_paid_ahead_result_says_how_long_is_left_to_leave(client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site,
                                                              clock: Clock) -> None:
    site.read("east-in", PLATE)
    clock.advance(hours=3)
    stay = client.post("/pay/find", data={"csrf_token": csrf_token(client.get("/pay/find").get_data(as_text=True)),
                                          "plate": PLATE, "entry_time": "17:35"})
    code = order_code(pay_from(client, stay.headers["Location"], "alipay"))
    notify(client, "alipay", links.open_order(code) or "", 1000, clock())
    clock.advance(minutes=4)
    status = client.get(f"/pay/order/{code}/status").get_json()
    assert (status["state"], status["message"], status["minutes_left"]) == ("paid", "支付成功，请在11分钟内离场", 11)
    assert status["receipt"].startswith("/r/")
    assert "支付成功，请在11分钟内离场" in client.get(f"/pay/order/{code}").get_data(as_text=True)


def test_a_forged_notification_is_refused_audited_and_changes_nothing(client: FlaskClient, links: PayLinks, village: DemoVillage,
                                                                       site: Site, runtime: Runtime, clock: Clock) -> None:
    code, uid = _placed(client, links, village, site)
    response = notify(client, "wechat", uid, 1000, clock(), forged=True)
    assert response.status_code == 500 and response.get_json()["code"] == "FAIL"
    assert [(d["method"], d["reason"]) for d in audits(runtime, "payment.callback_refused")] == [("wechat", "signature")]
    assert payments(runtime) == [("wechat", "pending", 1000, "exit_qr")]
    assert client.get(f"/pay/order/{code}/status").get_json()["state"] == "pending"


def test_a_stale_notification_is_refused(client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, runtime: Runtime,
                                         clock: Clock) -> None:
    _code, uid = _placed(client, links, village, site)
    assert notify(client, "wechat", uid, 1000, clock() - timedelta(minutes=30)).status_code == 500
    assert [d["reason"] for d in audits(runtime, "payment.callback_refused")] == ["timestamp"]
    assert payments(runtime) == [("wechat", "pending", 1000, "exit_qr")]


def test_a_genuine_notification_of_another_amount_is_acknowledged_and_left_to_the_ledger(
        client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, runtime: Runtime, clock: Clock) -> None:
    _code, uid = _placed(client, links, village, site)
    assert notify(client, "wechat", uid, 1, clock()).status_code == 200
    assert [d["reason"] for d in audits(runtime, "payment.refused")] == ["amount_mismatch"]
    assert payments(runtime) == [("wechat", "pending", 1000, "exit_qr")]


def test_a_notification_that_cannot_be_handled_asks_the_platform_to_retry(
        client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, clock: Clock, platforms: dict[str, Platform]) -> None:
    _code, uid = _placed(client, links, village, site)
    platforms["wechat"].broken = True
    response = notify(client, "wechat", uid, 1000, clock())
    assert response.status_code == 500 and response.get_json() == {"code": "FAIL", "message": "temporarily unavailable"}


def test_notifications_need_no_csrf_token_but_a_known_method_and_a_small_body(client: FlaskClient) -> None:
    assert client.post("/pay/notify/paypal", data=b"{}", content_type="application/json").status_code == 404
    assert client.post("/pay/notify/cash", data=b"{}", content_type="application/json").status_code == 404
    big = b"{" + b" " * (64 * 1024) + b"}"
    assert client.post("/pay/notify/wechat", data=big, content_type="application/json").status_code == 413
    assert client.post("/pay/notify/alipay", data={"sign": "x"}).status_code == 500  # read by the provider, not refused as a form


def test_a_lost_notification_is_booked_by_the_worker_asking_the_platform(
        client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, runtime: Runtime, clock: Clock,
        platforms: dict[str, Platform]) -> None:
    _code, uid = _placed(client, links, village, site)
    platforms["wechat"].pay(uid)
    clock.advance(minutes=6)
    assert settle_payments(runtime, platforms, clock()) == {"paid": 1, "closed": 0, "unreachable": 0, "settled": 0}
    assert payments(runtime) == [("wechat", "paid", 1000, "exit_qr")]


def test_the_status_poll_books_a_payment_the_platform_confirms_before_its_notification(
        client: FlaskClient, links: PayLinks, village: DemoVillage, site: Site, runtime: Runtime, platforms: dict[str, Platform]) -> None:
    code, uid = _placed(client, links, village, site)
    platforms["wechat"].pay(uid)
    assert client.get(f"/pay/order/{code}/status").get_json()["state"] == "paid"
    assert payments(runtime) == [("wechat", "paid", 1000, "exit_qr")]


# -- paying ahead ------------------------------------------------------------------------------------------


def _find(client: FlaskClient, plate: str, entry_time: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/pay/find").get_data(as_text=True))
    return client.post("/pay/find", data={"csrf_token": token, "plate": plate, "entry_time": entry_time})


@pytest.mark.parametrize("typed", ["17:30", "17:40", "17:20", "17：25"])
def test_a_stay_is_found_by_plate_and_entry_time_within_ten_minutes(client: FlaskClient, site: Site, typed: str) -> None:
    site.read("east-in", PLATE)
    response = _find(client, PLATE, typed)
    assert response.status_code == 303 and response.headers["Location"].startswith("/pay/stay/")


@pytest.mark.parametrize(("plate", "typed", "status", "words"), [
    (PLATE, "17:41", 404, "未找到与车牌和入场时间相符的在场车辆"),
    ("粤B67890", "17:30", 404, "未找到与车牌和入场时间相符的在场车辆"),
    ("ABC", "17:30", 422, "车牌号格式不正确"),
    (PLATE, "25:00", 422, "入场时间请按 时:分 填写"),
    ("", "17:30", 422, "请输入车牌号"),
])
def test_a_search_that_does_not_match_says_what_was_wrong(client: FlaskClient, site: Site, plate: str, typed: str, status: int,
                                                           words: str) -> None:
    site.read("east-in", PLATE)
    response = _find(client, plate, typed)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_failed_searches_are_limited_per_address(client: FlaskClient, site: Site) -> None:
    site.read("east-in", PLATE)
    statuses = [_find(client, f"粤B6789{i % 10}", "09:00").status_code for i in range(11)]
    assert statuses == [404] * 10 + [429]
    assert "尝试次数过多" in _find(client, PLATE, "17:30").get_data(as_text=True)  # the right answer too, until the window ends


def test_the_stay_page_shows_the_fee_the_grace_and_after_paying_the_time_to_leave_by(
        client: FlaskClient, links: PayLinks, site: Site, clock: Clock) -> None:
    site.read("east-in", PLATE)
    clock.advance(hours=3)
    url = _find(client, PLATE, "17:30").headers["Location"]
    html = client.get(url).get_data(as_text=True)
    assert 'data-due-fen="1000">10.00</b>' in html and "支付后15分钟内离场" in html and "粤B***45" in html
    code = order_code(pay_from(client, url, "alipay"))
    assert notify(client, "alipay", links.open_order(code) or "", 1000, clock()).status_code == 200
    assert "已缴费，请在 20:45 前离场。" in client.get(url).get_data(as_text=True)
    clock.advance(minutes=20)  # overstayed the grace: the difference is due
    assert 'data-due-fen="500">5.00</b>' in client.get(url).get_data(as_text=True)


def test_codes_open_only_what_they_were_made_for(client: FlaskClient, links: PayLinks, site: Site) -> None:
    site.read("east-in", PLATE)
    stay = _find(client, PLATE, "17:30").headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/pay/stay/{stay}").status_code == 200
    assert client.get(f"/r/{stay}").status_code == 404
    assert client.get(f"/pay/order/{stay}").status_code == 404
    assert client.get(f"/pay/order/{stay}/status").get_json()["error"]["field"] == "code"
    tampered = stay[:-1] + ("a" if stay[-1] != "a" else "b")
    assert client.get(f"/pay/stay/{tampered}").status_code == 404
    assert client.get("/pay/stay/" + "z" * 500).status_code == 404


# -- the e-receipt -----------------------------------------------------------------------------------------


def test_the_e_receipt_lists_every_line_the_payment_and_the_totals(client: FlaskClient, links: PayLinks, village: DemoVillage,
                                                                    site: Site, runtime: Runtime, clock: Clock) -> None:
    code, uid = _placed(client, links, village, site, "alipay")
    notify(client, "alipay", uid, 1000, clock())
    receipt = client.get(f"/pay/order/{code}/status").get_json()["receipt"]
    html = client.get(receipt).get_data(as_text=True)
    assert "和谐里小区" in html and "粤B***45" in html and PLATE not in html
    assert '<tr data-method="alipay"><td>支付宝</td><td>2026-11-25 20:30</td><td class="num">10.00</td></tr>' in html
    assert re.search(r'data-total="paid">10.00<', html)
    assert re.findall(r'class="period">', html) != []


# -- the way back from a platform's page, and hostile input ------------------------------------------------


def test_the_platforms_return_leads_to_the_orders_result_page(client: FlaskClient, links: PayLinks, village: DemoVillage,
                                                               site: Site) -> None:
    code, uid = _placed(client, links, village, site, "alipay")
    response = client.get(f"/pay/return/alipay?out_trade_no={uid}&trade_no=2026&sign=x")
    assert (response.status_code, response.headers["Location"]) == (303, f"/pay/order/{code}")
    assert client.get(f"/pay/return/wechat?out_trade_no={uid}").status_code == 404  # not that platform's order
    assert client.get("/pay/return/alipay?out_trade_no=" + "0" * 32).status_code == 404


PAY_URLS = ["/pay/exit/{text}?k={text}", "/pay/stay/{text}", "/pay/order/{text}", "/pay/order/{text}/status", "/r/{text}",
            "/pay/return/{text}?out_trade_no={text}", "/pay/find?plate={text}"]


@FUZZ
@given(text=st.text(max_size=80))
def test_hostile_codes_and_queries_never_crash(client: FlaskClient, text: str) -> None:
    # Every answer is a page or JSON naming what was wrong: never a 5xx, never exception text.
    for pattern in PAY_URLS:
        url = pattern.format(text=quote(text, safe=""))
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["plate", "entry_time", "method", "session", "csrf_token"]),
                              st.text(max_size=40), max_size=5))
def test_hostile_forms_never_crash(app: Flask, client: FlaskClient, site: Site, links: PayLinks, village: DemoVillage,
                                   fields: dict[str, str]) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # so the fields reach the views
    for url in ("/pay/find", exit_url(links, village), "/pay/notify/wechat", "/pay/notify/alipay"):
        response = client.post(url, data=fields)
        assert response.status_code < 500 or url.startswith("/pay/notify/"), (url, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)


def test_managers_print_the_exit_codes_of_their_lots(client: FlaskClient, login, links: PayLinks, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    html = client.get("/console/exit-codes").get_data(as_text=True)
    assert re.findall(r'data-lane="([^"]+)"', html) == ["east-out", "inner-out", "gate-out"]
    assert f'href="http://localhost{exit_url(links, village)}"'.replace("&", "&amp;") in html
    assert html.count("<svg") == 3
