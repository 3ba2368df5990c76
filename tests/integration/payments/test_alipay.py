"""The Alipay provider against the simulated gateway over loopback HTTP, with real RSA2 keys both ways:
orders, the payer, notifications to a merchant endpoint (and what the switches do to them), query, close,
refunds, the daily bill, and answers the provider must not trust."""

from __future__ import annotations

import json
import queue
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.alipay import AlipayProvider, load_alipay_config
from parking.payments.base import (BillLine, CallbackRejected, Notification, OrderRequest, OrderStatus, ProviderError,
                                   RefundRequest, RefundResult)
from simulators.alipay import AlipaySimulator, generate_merchant
from tests.conftest import FIXED_NOW, Clock

SUBJECT = "停车费 粤B***45 白石洲停车场"
UTC = timezone.utc


class Receiver:
    """The merchant's notify endpoint on loopback: keeps every POST, answers ``answer`` with ``status``."""

    def __init__(self) -> None:
        self.posts: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.answer, self.status = b"success", 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.posts.put((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payments/alipay/notify"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def sim(clock: Clock) -> Iterator[AlipaySimulator]:
    with AlipaySimulator(clock=clock) as s:
        yield s


@pytest.fixture(scope="module")
def toml(sim: AlipaySimulator, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_merchant(tmp_path_factory.mktemp("alipay"), notify_url=receiver.url, gateway=sim.gateway_url)


@pytest.fixture(scope="module")
def provider(toml: Path, clock: Clock) -> AlipayProvider:
    return AlipayProvider(load_alipay_config(toml), clock=clock)


@pytest.fixture(scope="module")
def stranger() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Merchant:
    """One test's view: the notifications it caused, taken from the receiver once the simulator sent them."""

    def __init__(self, sim: AlipaySimulator, receiver: Receiver) -> None:
        self.sim, self.receiver = sim, receiver
        self.seen = len(sim.deliveries)

    def notifications(self, n: int) -> list[tuple[dict[str, str], bytes]]:
        self.sim.wait_delivered(self.seen + n, timeout=5)
        self.seen += n
        posts = [self.receiver.posts.get(timeout=5) for _ in range(n)]
        assert self.receiver.posts.empty()
        return posts


@pytest.fixture
def merchant(sim: AlipaySimulator, receiver: Receiver, clock: Clock) -> Iterator[Merchant]:
    clock.now = FIXED_NOW
    sim.set_switches(drop=False, delay=False, duplicate=False, forge=False, stale=False)
    receiver.answer, receiver.status = b"success", 200
    m = Merchant(sim, receiver)
    yield m
    assert len(sim.deliveries) == m.seen, "a notification the test did not read"


def control(sim: AlipaySimulator, path: str, data: object | None = None) -> tuple[int, object]:
    request = urllib.request.Request(sim.base_url + path, method="POST" if data is not None else "GET",
                                     data=None if data is None else json.dumps(data).encode())
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def pay(sim: AlipaySimulator, out_trade_no: str) -> dict:
    status, trade = control(sim, "/_sim/pay", {"out_trade_no": out_trade_no})
    assert status == 200, trade
    return trade  # type: ignore[return-value]


def order(out_trade_no: str, fen: int, **kwargs: object) -> OrderRequest:
    return OrderRequest(out_trade_no=out_trade_no, amount_fen=fen, description=SUBJECT, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- orders

def test_a_qr_order_is_precreated_paid_by_the_payer_and_notified(provider, sim, merchant, clock) -> None:
    created = provider.create_order(order("P-QR-1", 1050, expires_at=FIXED_NOW + timedelta(minutes=15)))
    assert created.qr_payload.startswith("https://qr.alipay.com/bax") and created.pay_url == ""
    assert provider.query("P-QR-1").state == "pending"
    [listed] = [o for o in sim.orders() if o["out_trade_no"] == "P-QR-1"]
    assert (listed["total_amount"], listed["subject"], listed["time_expire"]) == ("10.50", SUBJECT, "2026-11-25 17:45:00")

    trade = pay(sim, "P-QR-1")
    [(headers, body)] = merchant.notifications(1)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    clock.advance(seconds=3)
    note = provider.parse_notification(headers, body, clock())
    assert note == Notification(out_trade_no="P-QR-1", state="paid", amount_fen=1050, transaction_id=trade["trade_no"],
                                paid_at=FIXED_NOW, notification_id=note.raw["notify_id"], raw=note.raw)
    assert note.notification_id and sim.deliveries[-1].accepted
    assert provider.query("P-QR-1") == OrderStatus(out_trade_no="P-QR-1", state="paid", amount_fen=1050,
                                                   transaction_id=trade["trade_no"], paid_at=FIXED_NOW,
                                                   payer=trade["buyer_id"])


def test_a_phone_order_opens_the_cashier_and_its_button_pays(provider, sim, merchant) -> None:
    created = provider.create_order(order("P-WAP-1", 800, scene="phone", expires_at=FIXED_NOW + timedelta(minutes=10)))
    assert created.pay_url.startswith(sim.gateway_url + "?") and created.qr_payload == ""
    params = dict(parse_qsl(urlsplit(created.pay_url).query))
    assert (params["method"], params["timestamp"], params["notify_url"]) == (
        "alipay.trade.wap.pay", "2026-11-25 17:30:00", merchant.receiver.url)
    assert json.loads(params["biz_content"]) == {"out_trade_no": "P-WAP-1", "total_amount": "8.00", "subject": SUBJECT,
                                                 "product_code": "QUICK_WAP_WAY", "time_expire": "2026-11-25 17:40:00"}
    assert provider.query("P-WAP-1") == OrderStatus(out_trade_no="P-WAP-1", state="closed")  # page not opened yet

    with pytest.raises(urllib.error.HTTPError) as tampered:  # the payer's browser cannot change the amount
        urllib.request.urlopen(created.pay_url.replace("8.00", "0.01"), timeout=5)
    assert tampered.value.code == 400 and "isv.invalid-signature" in tampered.value.read().decode()
    page = urllib.request.urlopen(created.pay_url, timeout=5).read().decode()
    assert "确认付款" in page and "￥8.00" in page
    assert provider.query("P-WAP-1").state == "pending"
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    done = urllib.request.urlopen(sim.base_url + "/cashier", data=urlencode({"token": token}).encode(), timeout=5)
    assert "支付成功" in done.read().decode()
    [(headers, body)] = merchant.notifications(1)
    note = provider.parse_notification(headers, body, FIXED_NOW)
    assert (note.out_trade_no, note.state, note.amount_fen) == ("P-WAP-1", "paid", 800)


def test_the_same_order_again_is_the_same_qr_and_another_amount_is_refused(provider, merchant) -> None:
    first = provider.create_order(order("P-SAME", 500))
    assert provider.create_order(order("P-SAME", 500)).qr_payload == first.qr_payload
    with pytest.raises(ProviderError) as caught:
        provider.create_order(order("P-SAME", 600))
    assert (caught.value.code, caught.value.retryable) == ("ACQ.CONTEXT_INCONSISTENT", False)


def test_an_unpaid_order_past_its_expiry_is_closed(provider, sim, merchant, clock) -> None:
    provider.create_order(order("P-EXPIRE", 500, expires_at=FIXED_NOW + timedelta(minutes=5)))
    clock.advance(minutes=5, seconds=1)
    assert provider.query("P-EXPIRE").state == "closed"
    assert control(sim, "/_sim/pay", {"out_trade_no": "P-EXPIRE"})[0] == 409


# ------------------------------------------------------------------------------------ notifications

def test_a_forged_notification_is_rejected_as_signature(provider, sim, merchant) -> None:
    provider.create_order(order("P-FORGE", 500))
    sim.set_switches(forge=True)
    pay(sim, "P-FORGE")
    [(headers, body)] = merchant.notifications(1)
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(headers, body, FIXED_NOW)
    assert caught.value.reason == "signature"


def test_a_notification_for_another_app_is_rejected_as_merchant(provider, sim, merchant) -> None:
    provider.create_order(order("P-OTHER-APP", 500))
    pay(sim, "P-OTHER-APP")
    [(headers, body)] = merchant.notifications(1)
    other = AlipayProvider(replace(provider.config, app_id="2021000000000999"))
    with pytest.raises(CallbackRejected) as caught:
        other.parse_notification(headers, body, FIXED_NOW)
    assert caught.value.reason == "merchant"


def test_a_stale_notification_is_rejected_as_timestamp(provider, sim, merchant) -> None:
    provider.create_order(order("P-STALE", 500))
    sim.set_switches(stale=True)
    pay(sim, "P-STALE")
    [(headers, body)] = merchant.notifications(1)
    assert dict(parse_qsl(body.decode()))["notify_time"] == "2026-11-23 17:30:00"
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(headers, body, FIXED_NOW)
    assert caught.value.reason == "timestamp"


def test_a_genuine_notification_with_a_third_decimal_is_rejected_as_format(provider, sim, merchant) -> None:
    provider.create_order(order("P-DECIMALS", 1000))
    pay(sim, "P-DECIMALS")
    [(headers, body)] = merchant.notifications(1)
    params = {k: v for k, v in parse_qsl(body.decode()) if k not in ("sign", "sign_type")}
    resigned = sim.signed_form({**params, "total_amount": "10.001"})
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(headers, resigned, FIXED_NOW)
    assert caught.value.reason == "format"


def test_the_duplicate_switch_delivers_each_notification_twice(provider, sim, merchant) -> None:
    provider.create_order(order("P-TWICE", 700))
    sim.set_switches(duplicate=True)
    pay(sim, "P-TWICE")
    first, second = (provider.parse_notification(h, b, FIXED_NOW) for h, b in merchant.notifications(2))
    assert first == second and first.notification_id


def test_a_dropped_notification_leaves_query_to_say_paid(provider, sim, merchant) -> None:
    provider.create_order(order("P-DROP", 900))
    sim.set_switches(drop=True)
    dropped = len(sim.notifier.dropped)
    trade = pay(sim, "P-DROP")
    assert len(sim.notifier.dropped) == dropped + 1 and len(sim.deliveries) == merchant.seen
    status = provider.query("P-DROP")
    assert (status.state, status.amount_fen, status.transaction_id) == ("paid", 900, trade["trade_no"])


def test_a_delayed_notification_waits_for_release(provider, sim, merchant) -> None:
    provider.create_order(order("P-DELAY", 900))
    sim.set_switches(delay=True)
    pay(sim, "P-DELAY")
    assert sim.notifier.waiting == 1 and len(sim.deliveries) == merchant.seen
    assert control(sim, "/_sim/release", {}) == (200, {"released": 1})
    [(headers, body)] = merchant.notifications(1)
    assert provider.parse_notification(headers, body, FIXED_NOW).out_trade_no == "P-DELAY"


def test_a_notification_answered_fail_is_posted_again(provider, sim, merchant) -> None:
    provider.create_order(order("P-RETRY", 900))
    merchant.receiver.answer = provider.reply(False).body
    pay(sim, "P-RETRY")
    [(_, first)] = merchant.notifications(1)
    assert not sim.deliveries[-1].accepted and sim.notifier.waiting == 1
    merchant.receiver.answer = provider.reply(True).body
    assert sim.release() == 1
    [(_, again)] = merchant.notifications(1)
    assert again == first and sim.deliveries[-1].accepted


# -------------------------------------------------------------------------------------------- close

def test_a_closed_order_queries_closed_and_cannot_be_paid(provider, sim, merchant) -> None:
    provider.create_order(order("P-CLOSE", 500))
    provider.close("P-CLOSE")
    status = provider.query("P-CLOSE")
    assert (status.state, status.amount_fen, status.paid_at, status.payer) == ("closed", 0, None, "")
    assert control(sim, "/_sim/pay", {"out_trade_no": "P-CLOSE"}) == (
        409, {"error": "ACQ.TRADE_STATUS_ERROR", "message": "交易状态不合法: TRADE_CLOSED"})
    provider.close("P-CLOSE")  # closing twice is fine
    provider.close("P-NEVER-OPENED")  # Alipay has no such trade: nothing can pay it


def test_a_paid_order_cannot_be_closed(provider, sim, merchant) -> None:
    provider.create_order(order("P-PAID-CLOSE", 500))
    pay(sim, "P-PAID-CLOSE")
    merchant.notifications(1)
    with pytest.raises(ProviderError, match="P-PAID-CLOSE is paid and cannot be closed"):
        provider.close("P-PAID-CLOSE")


# ------------------------------------------------------------------------------------------ refunds

def test_refunds_in_part_then_the_rest_and_never_more(provider, sim, merchant, clock) -> None:
    provider.create_order(order("P-REFUND", 1000))
    trade = pay(sim, "P-REFUND")
    merchant.notifications(1)
    clock.advance(minutes=10)

    def refund(number: str, fen: int) -> RefundResult:
        return provider.refund(RefundRequest(out_refund_no=number, out_trade_no="P-REFUND",
                                             transaction_id=trade["trade_no"], refund_fen=fen, total_fen=1000,
                                             reason="多收了"))

    assert refund("R-REFUND-1", 300) == RefundResult(out_refund_no="R-REFUND-1", state="refunded",
                                                     refunded_at=FIXED_NOW + timedelta(minutes=10))
    [(h, b)] = merchant.notifications(1)
    partial = provider.parse_notification(h, b, clock())
    assert (partial.state, partial.amount_fen, partial.raw["refund_fee"], partial.raw["out_biz_no"]) == (
        "paid", 1000, "3.00", "R-REFUND-1")
    with pytest.raises(ProviderError) as caught:
        refund("R-REFUND-2", 701)
    assert caught.value.code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"

    assert refund("R-REFUND-2", 700).state == "refunded"
    [(h, b)] = merchant.notifications(1)
    assert provider.parse_notification(h, b, clock()).state == "refunded"
    assert provider.query("P-REFUND") == OrderStatus(out_trade_no="P-REFUND", state="refunded", amount_fen=1000,
                                                     transaction_id=trade["trade_no"], paid_at=FIXED_NOW,
                                                     payer=trade["buyer_id"])
    with pytest.raises(ProviderError):
        refund("R-REFUND-3", 1)
    # the same refund asked again moves no money and still reads as refunded (through the refund query)
    assert refund("R-REFUND-1", 300) == RefundResult(out_refund_no="R-REFUND-1", state="refunded",
                                                     refunded_at=FIXED_NOW + timedelta(minutes=10))
    assert [r["refund_amount"] for r in next(o for o in sim.orders() if o["out_trade_no"] == "P-REFUND")["refunds"]] \
        == ["3.00", "7.00"]


def test_an_unpaid_order_cannot_be_refunded(provider, merchant) -> None:
    provider.create_order(order("P-NO-REFUND", 1000))
    with pytest.raises(ProviderError) as caught:
        provider.refund(RefundRequest("R-NO-REFUND", "P-NO-REFUND", "", 100, 1000))
    assert caught.value.code == "ACQ.TRADE_STATUS_ERROR"


# --------------------------------------------------------------------------------------------- bill

def test_the_bill_of_a_day_lists_its_payments_and_refunds_in_exact_fen(provider, sim, merchant, clock) -> None:
    morning = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    clock.now = morning
    for number, fen in (("P-BILL-1", 1050), ("P-BILL-2", 2000)):
        provider.create_order(order(number, fen))
        pay(sim, number)
    merchant.notifications(2)
    trade_no = {o["out_trade_no"]: o["trade_no"] for o in sim.orders()}
    clock.now = datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai: still the 1st
    provider.refund(RefundRequest("R-BILL-1", "P-BILL-2", trade_no["P-BILL-2"], 550, 2000))
    clock.now = datetime(2026, 12, 1, 16, 0, 1, tzinfo=UTC)  # 00:00:01 on the 2nd: on the next bill
    provider.refund(RefundRequest("R-BILL-2", "P-BILL-2", trade_no["P-BILL-2"], 1450, 2000))
    merchant.notifications(2)

    with pytest.raises(ProviderError) as caught:
        provider.bill(date(2026, 12, 2))  # Alipay makes a day's bill the next day
    assert caught.value.code == "isp.bill_not_exist"
    clock.now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert list(provider.bill(date(2026, 12, 1))) == [
        BillLine(kind="payment", out_trade_no="P-BILL-1", transaction_id=trade_no["P-BILL-1"], amount_fen=1050, at=morning),
        BillLine(kind="payment", out_trade_no="P-BILL-2", transaction_id=trade_no["P-BILL-2"], amount_fen=2000, at=morning),
        BillLine(kind="refund", out_trade_no="P-BILL-2", transaction_id=trade_no["P-BILL-2"], amount_fen=550,
                 at=datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC), out_refund_no="R-BILL-1"),
    ]
    assert list(provider.bill(date(2026, 12, 2))) == [
        BillLine(kind="refund", out_trade_no="P-BILL-2", transaction_id=trade_no["P-BILL-2"], amount_fen=1450,
                 at=datetime(2026, 12, 1, 16, 0, 1, tzinfo=UTC), out_refund_no="R-BILL-2")]
    assert list(provider.bill(date(2026, 11, 30))) == []


# --------------------------------------------------------------------------- answers not to trust

def test_an_answer_signed_with_another_key_is_a_provider_error(provider, merchant, stranger) -> None:
    fooled = AlipayProvider(replace(provider.config, alipay_public_key=stranger.public_key()), clock=provider.clock)
    with pytest.raises(ProviderError) as caught:
        fooled.create_order(order("P-BAD-ANSWER", 500))
    assert caught.value.code == "BAD_SIGNATURE" and "does not verify" in caught.value.message


def test_a_request_signed_with_another_key_is_refused_by_the_gateway(provider, merchant, stranger) -> None:
    impostor = AlipayProvider(replace(provider.config, app_private_key=stranger), clock=provider.clock)
    with pytest.raises(ProviderError) as caught:
        impostor.query("P-QR-1")
    assert (caught.value.code, caught.value.retryable) == ("isv.invalid-signature", False)


def test_network_failures_and_server_errors_are_retryable(provider, merchant) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    nobody = AlipayProvider(replace(provider.config, gateway=f"http://127.0.0.1:{closed_port}/gateway.do"))
    with pytest.raises(ProviderError) as caught:
        nobody.query("P-QR-1")
    assert (caught.value.code, caught.value.retryable) == ("NETWORK", True)

    merchant.receiver.status, merchant.receiver.answer = 502, b"bad gateway"
    broken = AlipayProvider(replace(provider.config, gateway=merchant.receiver.url))
    with pytest.raises(ProviderError) as caught:
        broken.query("P-QR-1")
    assert (caught.value.code, caught.value.retryable) == ("HTTP_502", True)
    merchant.receiver.posts.get(timeout=5)


# ---------------------------------------------------------------------------- the gateway's bounds

def test_the_gateway_refuses_oversized_bodies_and_names_bad_parameters(provider, sim, merchant) -> None:
    big = urllib.request.Request(sim.gateway_url, data=b"a=" + b"x" * 65 * 1024)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(big, timeout=5)
    assert caught.value.code == 413

    twice = urllib.request.urlopen(sim.gateway_url, data=b"method=alipay.trade.query&app_id=1&app_id=2", timeout=5)
    assert json.loads(twice.read())["error_response"]["sub_msg"] == "参数无效: app_id 出现两次"

    with pytest.raises(ProviderError, match="total_amount") as bad:
        provider._call("alipay.trade.precreate", {"out_trade_no": "P-BAD-AMOUNT", "total_amount": "1.001",
                                                  "subject": SUBJECT})
    assert bad.value.code == "ACQ.INVALID_PARAMETER"
    assert control(sim, "/_sim/switches", {"slow": True}) == (
        400, {"error": "unknown switch 'slow' (expected some of drop, delay, duplicate, forge, stale)"})
    status, orders = control(sim, "/_sim/orders")
    assert status == 200 and "P-QR-1" in {o["out_trade_no"] for o in orders}  # type: ignore[union-attr]


def test_the_simulator_runs_as_a_process_and_writes_the_merchant_file(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "simulators.alipay", "--port", "0", "--merchant-dir", str(tmp_path),
                                "--notify-url", "http://127.0.0.1:9/notify"], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[3])
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("Alipay simulator at http://127.0.0.1:") and str(tmp_path / "alipay.toml") in line
        config = load_alipay_config(tmp_path / "alipay.toml")
        assert (config.notify_url, config.seller_id) == ("http://127.0.0.1:9/notify", "2088000000000001")
        assert AlipayProvider(config).create_order(order("P-CLI", 100)).qr_payload.startswith("https://qr.alipay.com/")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        process.stdout.close()  # type: ignore[union-attr]
