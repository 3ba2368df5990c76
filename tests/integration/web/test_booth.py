"""The booth on the lane console (岗亭收费): the car an exit holds on its card with its fee and every quote
line; cash with the change; QR orders through the real Alipay provider against its simulator (real RSA2,
loopback HTTP); letting a held car out free or unpaid; the printed receipt; who may do what.

A real agent holds the car: a camera reads it at the entry, three hours pass (the demo village's tariff
asks 10 yuan), and the exit camera reads it. Gate commands go to that agent; in a comet poller the
exit camera takes the open with its next heartbeat.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.agent.process import Agent
from parking.models import Arrears, AuditEvent, ParkingSession, Payment, PaymentMethod, PaymentStatus, StayAdjustment
from parking.payments.alipay import AlipayProvider, load_alipay_config
from parking.payments.cash import CashProvider
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.pay_links import PayLinks
from parking.worker import Worker
from simulators.alipay import AlipaySimulator, generate_merchant
from simulators.camera import CameraSimulator, CometPoller
from tests.conftest import Clock
from web import create_app

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

PLATE = "粤B12345"


@pytest.fixture
def alipay(clock: Clock) -> Iterator[AlipaySimulator]:
    with AlipaySimulator(clock=clock) as sim:
        sim.set_switches(drop=True)  # no notification reaches the test client: the booth asks (查询支付结果)
        yield sim


@pytest.fixture
def app(runtime: Runtime, village: DemoVillage, clock: Clock, alipay: AlipaySimulator, tmp_path: Path) -> Flask:
    merchant = generate_merchant(tmp_path / "alipay", notify_url="http://127.0.0.1:9/pay/notify/alipay", gateway=alipay.gateway_url)
    payments = {"cash": CashProvider(clock=clock), "alipay": AlipayProvider(load_alipay_config(merchant), clock=clock)}
    app = create_app(runtime.settings, runtime=runtime, payments=payments)  # type: ignore[dict-item]
    app.config.update(TESTING=True, PARKING_CLOCK=clock)
    return app


@pytest.fixture
def agent(runtime: Runtime, village: DemoVillage, clock: Clock) -> Iterator[Agent]:
    with Agent(runtime, "127.0.0.1", 0, clock=clock) as running:
        yield running


def camera(agent: Agent, serial: str, clock: Clock, first_plateid: int = 1) -> CameraSimulator:
    cam = CameraSimulator(serial, agent.camera_urls(serial)["push_url"], clock=clock, first_plateid=first_plateid)
    cam.heartbeat()  # heard once, so the agent counts the lane online before a comet poller starts
    return cam


@pytest.fixture
def held(agent: Agent, clock: Clock) -> CameraSimulator:
    """粤B12345 came in three hours ago and now waits at the east exit for its 10 yuan; the exit camera."""
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate(PLATE).open_gate
    clock.advance(hours=3)
    exit_camera = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert exit_camera.push_plate(PLATE).open_gate is False
    return exit_camera


def card(client: FlaskClient, lane_id: int) -> str:
    html = client.get("/console/lanes").get_data(as_text=True)
    return html.split(f'data-lane="{lane_id}"', 1)[1].split("</section>", 1)[0]


def notes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-(?:info|error)" role="status">([^<]*)</p>', html)


def post(client: FlaskClient, path: str, **data: str) -> str:
    token = csrf_token(client.get("/console/lanes").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True).get_data(as_text=True)


def open_shift(client: FlaskClient, village: DemoVillage, float_yuan: str = "100") -> None:
    token = csrf_token(client.get("/console/shift").get_data(as_text=True))
    client.post("/console/shift/open", data={"csrf_token": token, "lot_id": village.community_lot_id,
                                             "lane_id": village.lane("east-out").id, "opening_float": float_yuan})


def payments(runtime: Runtime) -> list[tuple[str, int, int | None, str]]:
    with runtime.sessions() as db:
        return [(p.method.value, p.amount_fen, p.cash_given_fen, p.status.value) for p in db.scalars(select(Payment).order_by(Payment.id))]


# -- the card -----------------------------------------------------------------------------------------

def test_the_exit_card_shows_the_held_car_why_its_fee_every_line_entry_and_duration(client: FlaskClient, login, held, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    shown = card(client, village.lane("east-out").id)
    assert 'data-field="held-plate">粤B12345</b>' in shown
    assert 'data-field="held-reason">待缴费</span>' in shown
    assert 'data-field="due">10.00</b>' in shown
    assert re.search(r'<tr data-field="line"><td>停车2小时至8小时10元</td><td class="small">11-25 17:30–11-25 20:30</td><td class="num">10.00</td></tr>', shown)
    assert 'datetime="2026-11-25T17:30:00+08:00">2026-11-25 17:30</time>' in shown
    assert 'data-field="duration">3小时0分</span>' in shown
    assert 'value="open" class="primary"' not in shown  # the plain open is replaced by the ways to settle
    assert "未开班，不能收现金。" in shown and 'href="/console/shift"' in shown
    assert [m for m in re.findall(r'name="method" value="(\w+)"', shown)] == ["alipay"]  # WeChat Pay is not configured here
    assert "held-plate" not in card(client, village.lane("east-in").id)


def test_cash_with_its_change_opens_the_gate_once_and_offers_the_receipt(client: FlaskClient, login, held: CameraSimulator, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    open_shift(client, village)
    assert 'class="booth-cash"' in card(client, lane.id)
    with CometPoller(held) as gate:
        html = post(client, f"/console/lanes/{lane.id}/cash", plate=PLATE, due_fen="1000", given="50")
    assert notes(html) == ["粤B12345 已收现金 10.00 元：收 50.00 元，找零 40.00 元。", "东门出口：抬杆指令已送达设备。"]
    assert sum(r.open_gate for r in gate.log.responses) == 1
    assert payments(runtime) == [("cash", 1000, 5000, "paid")]
    with runtime.sessions() as db:
        uid = db.scalar(select(Payment.uid))
    assert f'href="/console/payments/{uid}/receipt" target="_blank">打印小票</a>' in html
    assert "held-plate" not in card(client, lane.id)  # the car has gone; the card says what it paid last
    assert f'href="/console/payments/{uid}/receipt"' in card(client, lane.id)


def test_cash_without_an_open_shift_is_refused_in_words(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    html = post(client, f"/console/lanes/{lane.id}/cash", plate=PLATE, due_fen="1000", given="10")
    assert notes(html) == ["未开班，不能收现金：请先开班。"]
    assert payments(runtime) == []
    assert 'data-field="held-plate">粤B12345</b>' in card(client, lane.id)


@pytest.mark.parametrize(("given", "due_fen", "message"), [
    ("9.99", "1000", "收到 9.99 元，少于应收 10.00 元。"),
    ("12.345", "1000", "请填写金额（元），最多两位小数，例如 50 或 12.50。"),
    ("1e3", "1000", "请填写金额（元），最多两位小数，例如 50 或 12.50。"),
    ("-20", "1000", "请填写金额（元），最多两位小数，例如 50 或 12.50。"),
    ("", "1000", "请填写收到的现金。"),
    ("20", "900", "应收金额已变为 10.00 元（页面显示 9.00 元），请核对找零后重新收款。"),
])
def test_cash_that_cannot_be_taken_is_refused_in_words(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage, given: str, due_fen: str, message: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    assert notes(post(client, f"/console/lanes/{village.lane('east-out').id}/cash", plate=PLATE, due_fen=due_fen, given=given)) == [message]
    assert payments(runtime) == []


def test_cash_for_a_car_the_lane_no_longer_holds_is_refused(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    html = post(client, f"/console/lanes/{village.lane('east-out').id}/cash", plate="粤B99999", due_fen="1000", given="10")
    assert notes(html) == ["出口的车辆已变为 粤B12345，请核对后再操作。"]
    assert payments(runtime) == []


# -- QR orders ----------------------------------------------------------------------------------------

def status(client: FlaskClient, uid: str) -> dict[str, object]:
    return client.get(f"/console/payments/{uid}/status").get_json()  # type: ignore[no-any-return]


def test_a_qr_order_shows_its_svg_and_amount_and_says_paid_only_once_the_ledger_booked_it(client: FlaskClient, login, held, alipay: AlipaySimulator, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    html = post(client, f"/console/lanes/{lane.id}/order", plate=PLATE, method="alipay")
    assert notes(html) == ["已生成支付宝收款码，应收 10.00 元，请车主扫码支付。"]
    shown = card(client, lane.id)
    assert re.search(r'<div class="qr" data-field="qr"><svg viewBox="0 0 (\d+) \1" class="segno"><title>收款码</title>', shown)
    assert 'data-field="order-amount">10.00</b>' in shown and 'data-field="order-state">等待支付</p>' in shown
    with runtime.sessions() as db:
        order = db.scalar(select(Payment))
        assert (order.method, order.status, order.scene, order.amount_fen) == (PaymentMethod.ALIPAY, PaymentStatus.PENDING, "booth", 1000)
        uid = order.uid
    assert status(client, uid) == {"uid": uid, "status": "pending", "words": "等待支付", "amount_fen": 1000, "amount_yuan": "10.00",
                                   "plate": PLATE, "receipt_url": None}

    pay = urllib.request.Request(alipay.base_url + "/_sim/pay", data=json.dumps({"out_trade_no": uid}).encode(), method="POST")
    with urllib.request.urlopen(pay, timeout=5) as answer:
        assert answer.status == 200
    assert status(client, uid)["status"] == "pending"  # paid at the platform, but not booked until the ledger hears of it

    html = post(client, f"/console/payments/{uid}/check")
    assert notes(html) == ["粤B12345 已支付 10.00 元，车道已收到放行指令。"]
    assert status(client, uid) == {"uid": uid, "status": "paid", "words": "已支付，已抬杆", "amount_fen": 1000, "amount_yuan": "10.00",
                                   "plate": PLATE, "receipt_url": f"/console/payments/{uid}/receipt"}


def test_asking_about_an_unpaid_order_says_so(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    post(client, f"/console/lanes/{village.lane('east-out').id}/order", plate=PLATE, method="alipay")
    with runtime.sessions() as db:
        uid = db.scalar(select(Payment.uid))
    assert notes(post(client, f"/console/payments/{uid}/check")) == ["粤B12345 尚未支付，请车主完成扫码支付。"]


def test_a_platform_not_configured_is_refused_in_words(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert notes(post(client, f"/console/lanes/{village.lane('east-out').id}/order", plate=PLATE, method="wechat")) == [
        "本系统未开通微信收款，请改用其他方式。"]
    assert payments(runtime) == []


# -- free and unpaid ----------------------------------------------------------------------------------

def release(client: FlaskClient, village: DemoVillage, outcome: str, free_reason: str = "", words: str = "") -> str:
    return post(client, f"/console/lanes/{village.lane('east-out').id}/gate", action="open", outcome=outcome, plate=PLATE,
                due_fen="1000", free_reason=free_reason, words=words)


def test_a_free_release_takes_a_reason_from_the_lots_list_and_opens_the_gate(client: FlaskClient, login, held: CameraSimulator, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    shown = card(client, village.lane("east-out").id)
    assert re.findall(r'<option value="([^"]+)">', shown.split('name="free_reason"', 1)[1].split("</select>", 1)[0]) == [
        "特种车辆（消防、救护、警车）", "军警车辆", "场内工作车辆", "设备故障", "领导批准", "其他"]
    with CometPoller(held) as gate:
        html = release(client, village, "free", "设备故障")
    assert notes(html) == ["粤B12345 已免费放行（设备故障），免收 10.00 元。", "东门出口：抬杆指令已送达设备。"]
    assert sum(r.open_gate for r in gate.log.responses) == 1
    with runtime.sessions() as db:
        assert [(a.kind.value, a.amount_fen, a.reason) for a in db.scalars(select(StayAdjustment))] == [("free_release", 1000, "设备故障")]
        assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "lane.open"))["reason"] == "免费放行：设备故障"


@pytest.mark.parametrize(("free_reason", "words", "message"), [
    ("", "", "请选择免费放行的原因。"),
    ("朋友的车", "", "请从列表中选择免费放行的原因。"),
    ("其他", "  ", "选择“其他”时请填写说明。"),
])
def test_a_free_release_without_a_listed_reason_is_refused(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage, free_reason: str, words: str, message: str) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert notes(release(client, village, "free", free_reason, words)) == [message]
    with runtime.sessions() as db:
        assert db.scalar(select(StayAdjustment)) is None


def test_other_with_words_is_recorded_as_the_reason(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert notes(release(client, village, "free", "其他", " 消防  检查 "))[0] == "粤B12345 已免费放行（其他：消防 检查），免收 10.00 元。"


def test_unpaid_release_leaves_the_fee_as_arrears_on_the_plate(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = release(client, village, "unpaid", words="司机称忘带手机")
    assert notes(html)[0] == "粤B12345 未缴费放行，10.00 元记为欠费。"
    with runtime.sessions() as db:
        assert [(a.plate, a.amount_fen, a.reason) for a in db.scalars(select(Arrears))] == [(PLATE, 1000, "司机称忘带手机")]


def test_a_car_owing_from_an_earlier_stay_is_let_out_free_for_this_stay_only(client: FlaskClient, login, agent: Agent, clock: Clock, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    from parking.services.arrears import record_arrears

    with runtime.sessions() as db:  # left unpaid last week
        record_arrears(db, runtime.store, lot_id=village.community_lot_id, plate=PLATE, session_uid="earlier-stay", amount_fen=1000,
                       reason="未缴费离场", lane_id=None, operator_id=None, shift_id=None, at=clock() - timedelta(days=7))
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate(PLATE).open_gate
    clock.advance(hours=3)
    assert camera(agent, "VZ-HX-EAST-OUT", clock).push_plate(PLATE).open_gate is False  # asked this stay's 10 yuan and the 10 owed
    login("attendant")
    shown = card(client, village.lane("east-out").id)
    assert 'data-field="due">20.00</b>' in shown and "（含以前欠费 10.00 元）" in shown
    assert "以前的欠费 10.00 元仍记在车牌上。" in shown
    html = post(client, f"/console/lanes/{village.lane('east-out').id}/gate", action="open", outcome="free", plate=PLATE, due_fen="2000",
                free_reason="设备故障")
    assert notes(html)[:2] == ["粤B12345 已免费放行（设备故障），免收 10.00 元。", "以前的欠费 10.00 元仍记在车牌 粤B12345 上，下次出场时补缴。"]
    with runtime.sessions() as db:
        assert [a.amount_fen for a in db.scalars(select(Arrears))] == [1000]
        assert [a.amount_fen for a in db.scalars(select(StayAdjustment))] == [1000]


def test_a_car_without_an_entry_record_is_held_in_words_and_let_out_free(client: FlaskClient, login, agent: Agent, clock: Clock, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    exit_camera = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert exit_camera.push_plate("粤B99999").open_gate is False  # the entry camera never saw it
    login("attendant")
    shown = card(client, lane.id)
    assert 'data-field="held-plate">粤B99999</b>' in shown and 'data-field="held-reason">无入场记录</span>' in shown
    assert "没有入场记录。" in shown and "booth-cash" not in shown and "booth-order" not in shown  # nothing to charge here
    with CometPoller(exit_camera) as gate:
        html = post(client, f"/console/lanes/{lane.id}/gate", action="open", outcome="free", plate="粤B99999", free_reason="场内工作车辆")
    assert notes(html) == ["粤B99999 已免费放行（场内工作车辆）。", "东门出口：抬杆指令已送达设备。"]
    assert sum(r.open_gate for r in gate.log.responses) == 1
    assert "held-plate" not in card(client, lane.id)


def test_the_plain_open_at_an_exit_holding_a_car_asks_for_the_outcome(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = post(client, f"/console/lanes/{village.lane('east-out').id}/gate", action="open", reason="visitor")
    assert notes(html) == ["粤B12345 正在出口等待（待缴费，应收 10.00 元）：请选择收现金、扫码支付、免费放行或未缴费放行。"]
    with runtime.sessions() as db:
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "lane.open")) is None


# -- the printed receipt ------------------------------------------------------------------------------

def test_the_printed_receipt_has_every_fact_of_the_payment_and_a_qr_to_the_e_receipt(app: Flask, client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    lane = village.lane("east-out")
    login("attendant")
    open_shift(client, village)
    post(client, f"/console/lanes/{lane.id}/cash", plate=PLATE, due_fen="1000", given="50")
    Worker(runtime).drain()  # the exit reaches SQL
    with runtime.sessions() as db:
        payment = db.scalar(select(Payment))
        session_uid = db.scalar(select(ParkingSession.uid).where(ParkingSession.plate == PLATE))
        assert payment.session_uid == session_uid
    page = client.get(f"/console/payments/{payment.uid}/receipt")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<body class="print paper-80">' in html
    facts = dict(re.findall(r'data-field="([a-z-]+)">([^<]+)<', html))
    assert {k: facts[k] for k in ("lot", "plate", "entry", "exit", "duration", "method", "amount", "given", "change", "operator")} == {
        "lot": "和谐里小区", "plate": PLATE, "entry": "2026-11-25 17:30", "exit": "2026-11-25 20:30", "duration": "3小时0分",
        "method": "现金", "amount": "10.00 元", "given": "50.00 元", "change": "40.00 元", "operator": "岗亭值班员",
    }
    assert "<th>出场</th>" in html
    assert re.search(r'<li data-field="line"><span>停车2小时至8小时10元</span><br><span class="small">11-25 17:30–11-25 20:30</span><span class="num">10.00</span></li>', html)
    code = PayLinks(app.config["SECRET_KEY"]).receipt_code(session_uid)
    assert f'data-link="http://localhost/r/{code}"><svg viewBox=' in html
    assert client.get(f"/r/{code}").status_code == 200  # the e-receipt page the QR leads to
    assert '<body class="print paper-58">' in client.get(f"/console/payments/{payment.uid}/receipt?paper=58").get_data(as_text=True)


def test_an_unpaid_order_has_no_receipt(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    post(client, f"/console/lanes/{village.lane('east-out').id}/order", plate=PLATE, method="alipay")
    with runtime.sessions() as db:
        uid = db.scalar(select(Payment.uid))
    assert client.get(f"/console/payments/{uid}/receipt").status_code == 404
    assert client.get(f"/console/payments/{'0' * 32}/receipt").status_code == 404


# -- who may do what ----------------------------------------------------------------------------------

def test_an_auditor_sees_the_held_car_but_no_way_to_act_and_is_refused_acting(app: Flask, client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage, password_hash: str) -> None:  # type: ignore[no-untyped-def]
    from parking.models import Operator, Role

    with runtime.sessions() as db:
        db.add(Operator(username="inspector", display_name="审计员", role=Role.AUDITOR, password_hash=password_hash, must_change_password=False))
        db.commit()
    login("inspector")
    lane = village.lane("east-out")
    shown = card(client, lane.id)
    assert 'data-field="held-plate">粤B12345</b>' in shown
    assert "booth-cash" not in shown and "booth-release" not in shown and "booth-order" not in shown
    token = csrf_token(client.get("/console/lanes").get_data(as_text=True))
    for path, data in ((f"/console/lanes/{lane.id}/cash", {"plate": PLATE, "given": "10"}), (f"/console/lanes/{lane.id}/order", {"method": "alipay"}),
                       (f"/console/lanes/{lane.id}/gate", {"action": "open", "outcome": "unpaid", "plate": PLATE})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403
    assert payments(runtime) == []


def test_booth_forms_need_their_csrf_token(client: FlaskClient, login, held, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    open_shift(client, village)
    lane = village.lane("east-out")
    assert client.post(f"/console/lanes/{lane.id}/cash", data={"plate": PLATE, "due_fen": "1000", "given": "10"}).status_code == 400
    assert payments(runtime) == []
