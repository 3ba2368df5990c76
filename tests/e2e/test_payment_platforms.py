"""Paying by phone against the payment platforms' simulators, end to end: the app served on loopback, the
WeChat Pay and Alipay providers built from their merchant files (``load_providers``), the platforms'
cashier pages opened and paid as a phone would, their signed notifications posted to the app, and the
lanes deciding before and after.

Every party runs on the test's clock: the app (``PARKING_CLOCK``), the providers, the simulators.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from parking.models import AuditEvent, Payment
from parking.payments.registry import load_providers
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.pay_links import PayLinks
from parking.worker import settle_payments
from simulators.alipay import AlipaySimulator
from simulators.alipay import generate_merchant as alipay_merchant
from simulators.wechatpay import WeChatPaySimulator
from simulators.wechatpay import generate_merchant as wechat_merchant
from tests.conftest import Clock
from tests.integration.core.conftest import Site, site  # noqa: F401  (the lane-deciding site)
from web import create_app

from .console_server import serving

pytestmark = [pytest.mark.redis, pytest.mark.database]

PLATE = "粤B12345"
OTHER = "粤B67890"
UNUSED_NOTIFY = "http://127.0.0.1:9/unused"  # every order names the app's own notification address
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SESSION = re.compile(r'name="session" type="hidden" value="([^"]*)"')


@pytest.fixture
def alipay(clock: Clock) -> Iterator[AlipaySimulator]:
    with AlipaySimulator(clock=clock) as sim:
        yield sim


@pytest.fixture
def wechat(clock: Clock) -> Iterator[WeChatPaySimulator]:
    with WeChatPaySimulator(clock=clock) as sim:
        yield sim


@pytest.fixture
def providers(runtime: Runtime, tmp_path: Path, clock: Clock, alipay: AlipaySimulator, wechat: WeChatPaySimulator):  # type: ignore[no-untyped-def]
    settings = replace(runtime.settings,
                       alipay_config=alipay_merchant(tmp_path / "alipay", notify_url=UNUSED_NOTIFY, gateway=alipay.gateway_url),
                       wechatpay_config=wechat_merchant(tmp_path / "wechat", notify_url=UNUSED_NOTIFY, gateway=wechat.base_url))
    return load_providers(settings, clock=clock)


@pytest.fixture
def served(runtime: Runtime, village: DemoVillage, clock: Clock, providers) -> Iterator[tuple[Flask, str]]:  # type: ignore[no-untyped-def]
    app = create_app(runtime.settings, runtime=runtime, payments=providers)
    app.config["PARKING_CLOCK"] = clock
    with serving(app, "phone-pay-under-test") as url:
        yield app, url


class Phone:
    """A phone's browser: keeps its cookies, follows nothing by itself, reads pages as text."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def get(self, url: str) -> requests.Response:
        return self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=10)

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(urljoin(self.base, url), data=data, allow_redirects=False, timeout=10)

    def find(self, plate: str, entry_time: str) -> requests.Response:
        token = CSRF.search(self.get("/pay/find").text).group(1)  # type: ignore[union-attr]
        return self.post("/pay/find", {"csrf_token": token, "plate": plate, "entry_time": entry_time})

    def order(self, page_url: str, method: str) -> str:
        """Press the platform's button on the page; the order page's address."""
        page = self.get(page_url).text
        session = SESSION.search(page)
        response = self.post(page_url, {"csrf_token": CSRF.search(page).group(1), "method": method,  # type: ignore[union-attr]
                                         "session": session.group(1) if session else ""})
        assert response.status_code == 303, response.text[:500]
        return response.headers["Location"]

    def pay_at_the_platform(self, order_url: str) -> None:
        """Open the platform's cashier page the order page forwards to, and confirm the payment there."""
        pay_url = html.unescape(re.search(r'data-pay-url="([^"]+)"', self.get(order_url).text).group(1))  # type: ignore[union-attr]
        cashier = requests.get(pay_url, timeout=10)
        assert cashier.status_code == 200, cashier.text[:500]
        form = re.search(r'<form method="?post"? action="([^"]+)"', cashier.text)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', cashier.text))
        confirmed = requests.post(urljoin(pay_url, form.group(1)), data=fields, allow_redirects=False, timeout=10)  # type: ignore[union-attr]
        assert confirmed.status_code in {200, 302, 303}, confirmed.text[:500]

    def status(self, order_url: str) -> dict:  # type: ignore[type-arg]
        return self.get(order_url.split("?")[0] + "/status").json()


def exit_qr(app: Flask, village: DemoVillage) -> str:
    return PayLinks(app.config["SECRET_KEY"]).exit_path("east-out", village.lane("east-out").id)


def ledger(runtime: Runtime) -> list[tuple[str, str, int]]:
    with runtime.sessions() as db:
        return [(p.method.value, p.status.value, p.amount_fen) for p in db.scalars(select(Payment).order_by(Payment.id))]


def refusals(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as db:
        rows = db.scalars(select(AuditEvent).where(AuditEvent.action == "payment.callback_refused").order_by(AuditEvent.id))
        return [(e.detail["method"], e.detail["reason"]) for e in rows]


def paid_fen(runtime: Runtime, village: DemoVillage, plate: str = PLATE) -> int:
    session = runtime.store.open_session(village.community_lot_id, plate)
    return int(session.get("paid_fen", 0)) if session else -1


def test_a_car_held_at_the_exit_is_paid_for_by_alipay_from_the_exit_qr_and_leaves(
        served, site: Site, alipay: AlipaySimulator, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    app, url = served
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    assert site.read("east-out", PLATE).lines[-1] == "请缴费10元"
    phone = Phone(url)
    assert "10.00" in phone.get(exit_qr(app, village)).text
    order = phone.order(exit_qr(app, village), "alipay")
    phone.pay_at_the_platform(order)
    assert alipay.wait_delivered(1)[0].accepted
    assert phone.status(order)["state"] == "paid"
    assert ledger(runtime) == [("alipay", "paid", 1000)]
    assert site.read("east-out", PLATE).outcome == "released"


def test_paying_ahead_by_alipay_lets_the_car_leave_within_the_grace(
        served, site: Site, alipay: AlipaySimulator, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    _app, url = served
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    phone = Phone(url)
    stay = phone.find(PLATE, "17:32").headers["Location"]
    assert "支付后15分钟内离场" in phone.get(stay).text
    order = phone.order(stay, "alipay")
    phone.pay_at_the_platform(order)
    assert alipay.wait_delivered(1)[0].accepted
    status = phone.status(order)
    assert (status["state"], status["message"]) == ("paid", "支付成功，请在15分钟内离场")
    assert "已缴费，请在 20:45 前离场。" in phone.get(stay).text
    site.clock.advance(minutes=12)
    assert site.read("east-out", PLATE).outcome == "released"


def test_a_car_that_overstays_the_grace_pays_the_difference_by_wechat_at_the_exit(
        served, site: Site, alipay: AlipaySimulator, wechat: WeChatPaySimulator, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    app, url = served
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    phone = Phone(url)
    order = phone.order(phone.find(PLATE, "17:30").headers["Location"], "alipay")
    phone.pay_at_the_platform(order)
    assert alipay.wait_delivered(1)[0].accepted
    site.clock.advance(minutes=20)
    assert site.read("east-out", PLATE).lines[-1] == "请缴费5元"
    difference = phone.order(exit_qr(app, village), "wechat")
    phone.pay_at_the_platform(difference)
    assert wechat.wait_delivered(1)
    assert phone.status(difference)["state"] == "paid"
    assert ledger(runtime) == [("alipay", "paid", 1000), ("wechat", "paid", 500)]
    assert site.read("east-out", PLATE).outcome == "released"


@pytest.mark.parametrize("platform", ["alipay", "wechat"])
def test_a_duplicated_notification_is_counted_once(served, site: Site, alipay: AlipaySimulator, wechat: WeChatPaySimulator,  # type: ignore[no-untyped-def]
                                                     runtime: Runtime, village: DemoVillage, platform: str) -> None:
    app, url = served
    sim = alipay if platform == "alipay" else wechat
    sim.set_switches(duplicate=True)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    phone = Phone(url)
    order = phone.order(phone.find(PLATE, "17:30").headers["Location"], platform)
    phone.pay_at_the_platform(order)
    assert sim.wait_delivered(2)
    answered = [d.status for d in sim.deliveries]
    assert answered == [200, 200]
    assert ledger(runtime) == [(platform, "paid", 1000)]
    assert paid_fen(runtime, village) == 1000


def test_a_dropped_notification_is_booked_when_the_worker_asks_the_platform(
        served, site: Site, alipay: AlipaySimulator, runtime: Runtime, village: DemoVillage, providers, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    _app, url = served
    alipay.set_switches(drop=True)
    site.read("east-in", PLATE)
    clock.advance(hours=3)
    phone = Phone(url)
    order = phone.order(phone.find(PLATE, "17:30").headers["Location"], "alipay")
    phone.pay_at_the_platform(order)
    assert ledger(runtime) == [("alipay", "pending", 1000)]
    clock.advance(minutes=6)
    assert settle_payments(runtime, providers, clock()) == {"paid": 1, "closed": 0, "unreachable": 0, "settled": 0}
    assert ledger(runtime) == [("alipay", "paid", 1000)]
    assert paid_fen(runtime, village) == 1000


@pytest.mark.parametrize(("platform", "switch", "reason"), [
    ("alipay", "forge", "signature"), ("wechat", "forge", "signature"),
    ("alipay", "stale", "timestamp"), ("wechat", "stale", "timestamp"),
])
def test_a_forged_or_stale_notification_is_refused_audited_and_books_nothing(
        served, site: Site, alipay: AlipaySimulator, wechat: WeChatPaySimulator, runtime: Runtime, village: DemoVillage,  # type: ignore[no-untyped-def]
        platform: str, switch: str, reason: str) -> None:
    _app, url = served
    sim = alipay if platform == "alipay" else wechat
    sim.set_switches(**{switch: True})
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    phone = Phone(url)
    order = phone.order(phone.find(PLATE, "17:30").headers["Location"], platform)
    phone.pay_at_the_platform(order)
    assert sim.wait_delivered(1)
    assert refusals(runtime) == [(platform, reason)]
    assert ledger(runtime) == [(platform, "pending", 1000)]
    assert paid_fen(runtime, village) == 0


def test_someone_elses_stay_cannot_be_opened_without_its_code(served, site: Site, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    _app, url = served
    site.read("east-in", PLATE)
    site.clock.advance(minutes=30)
    site.read("east-in", OTHER)  # 18:00
    phone = Phone(url)
    assert phone.find(OTHER, "17:30").status_code == 404  # the other car's plate with this car's time
    mine = phone.find(PLATE, "17:30").headers["Location"]
    page = phone.get(mine).text
    assert "粤B***45" in page and "粤B***90" not in page
    code = mine.rsplit("/", 1)[1]
    assert phone.get("/pay/stay/" + code[:-2] + ("aa" if code[-2:] != "aa" else "bb")).status_code == 404
    assert phone.get(f"/r/{code}").status_code == 404
