"""The WeChat Pay provider against the WeChat Pay simulator over loopback HTTP, real RSA and AES-GCM: orders,
paying through the control endpoint, notifications received by a real HTTP receiver, the delivery switches,
close, refunds, the day's bill in fen, and the answers the provider must refuse.

One simulator, one merchant and one receiver serve the whole module (RSA keys are made once); each test uses
its own order numbers and starts from the same clock and with every switch off.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import queue
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from parking.payments.base import CallbackRejected, OrderRequest, Provider, ProviderError, RefundRequest
from parking.payments.wechat import WeChatPayProvider, load_wechatpay_config
from simulators.wechatpay import SWITCHES, WeChatPaySimulator, generate_merchant

FIXED = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # 17:30 in Beijing
WAIT = 5.0
TRANSACTION_ID = r"^4200000120261125\d{12}$"


class Clock:
    def __init__(self) -> None:
        self.now = FIXED

    def __call__(self) -> datetime:
        return self.now


class Receiver:
    """The merchant's notification address: records each POST and answers 200 with an empty body."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.put(({k: v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payments/wechat/notify"

    def take(self) -> tuple[dict[str, str], bytes]:
        return self.received.get(timeout=WAIT)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def platform_clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture(scope="module")
def simulator(platform_clock: Clock) -> Iterator[WeChatPaySimulator]:
    with WeChatPaySimulator(clock=platform_clock) as sim:
        yield sim


@pytest.fixture(scope="module")
def merchant_toml(simulator: WeChatPaySimulator, receiver: Receiver, tmp_path_factory) -> Path:
    return generate_merchant(tmp_path_factory.mktemp("wechat"), notify_url=receiver.url, gateway=simulator.base_url)


@pytest.fixture
def provider(merchant_toml, simulator, receiver, platform_clock) -> WeChatPayProvider:
    platform_clock.now = FIXED
    simulator.set_switches(**{name: False for name in SWITCHES})
    while not receiver.received.empty():
        receiver.received.get_nowait()
    return WeChatPayProvider(load_wechatpay_config(merchant_toml), clock=platform_clock)


def control(sim: WeChatPaySimulator, path: str, data: object = None, method: str = "POST") -> tuple[int, dict]:
    parts = urlsplit(sim.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        conn.request(method, path, body=None if data is None else json.dumps(data).encode())
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")
    finally:
        conn.close()


def order(no: str, fen: int = 1200, **kwargs) -> OrderRequest:
    return OrderRequest(no, fen, "停车费 粤B***45 白石洲停车场", **kwargs)


def pay_and_receive(sim, provider, receiver, no: str, **extra) -> tuple[dict[str, str], bytes]:
    assert control(sim, "/_sim/pay", {"out_trade_no": no, **extra})[0] == 200
    return receiver.take()


# ------------------------------------------------------------------------------------------------ orders


def test_the_provider_meets_the_provider_interface(provider):
    assert isinstance(provider, Provider) and provider.method == "wechat"


def test_a_qr_order_is_a_native_order_with_a_weixin_code_url(provider):
    placed = provider.create_order(order("QR20261125001", expires_at=FIXED + timedelta(minutes=15)))
    assert placed.out_trade_no == "QR20261125001"
    assert placed.qr_payload.startswith("weixin://wxpay/bizpayurl?pr=") and placed.pay_url == ""
    status = provider.query("QR20261125001")
    assert (status.state, status.amount_fen, status.transaction_id, status.paid_at) == ("pending", 0, "", None)


def test_placing_the_same_order_again_gives_the_same_code_and_another_amount_is_refused(provider):
    first = provider.create_order(order("QR20261125002"))
    assert provider.create_order(order("QR20261125002")) == first
    with pytest.raises(ProviderError) as caught:
        provider.create_order(order("QR20261125002", fen=1300))
    assert (caught.value.code, caught.value.retryable) == ("INVALID_REQUEST", False)
    assert "商户订单号重复" in caught.value.message


@pytest.mark.parametrize("fen", [0, -100])
def test_an_amount_that_is_not_positive_is_refused_by_the_platform(provider, fen):
    with pytest.raises(ProviderError) as caught:
        provider.create_order(order(f"QR2026112500{-fen}", fen=fen))
    assert caught.value.code == "PARAM_ERROR" and "amount.total" in caught.value.message


def test_a_phone_order_opens_a_cashier_page_whose_button_pays(provider, simulator, receiver):
    placed = provider.create_order(order("H520261125001", 1500, scene="phone", client_ip="10.1.2.3"))
    assert placed.qr_payload == "" and placed.provider_order_id.startswith("wx")
    page = urlsplit(placed.pay_url)
    assert f"{page.scheme}://{page.netloc}" == simulator.base_url and page.path.startswith("/_sim/h5/")
    conn = http.client.HTTPConnection(page.hostname, page.port, timeout=WAIT)
    conn.request("GET", f"{page.path}?{page.query}")
    html = conn.getresponse().read().decode()
    assert "确认支付" in html and "¥15.00" in html and "停车费 粤B***45 白石洲停车场" in html
    conn.request("POST", f"{page.path}/pay", body=b"")
    assert "支付成功" in conn.getresponse().read().decode()
    conn.close()
    head, body = receiver.take()
    note = provider.parse_notification(head, body, FIXED)
    assert (note.out_trade_no, note.state, note.amount_fen) == ("H520261125001", "paid", 1500)


# --------------------------------------------------------------------------------------- notifications


def test_paying_posts_a_notification_the_provider_reads_as_paid(provider, simulator, receiver):
    provider.create_order(order("PAY20261125001"))
    platform_clock = provider.clock
    platform_clock.now = FIXED + timedelta(seconds=42)
    head, body = pay_and_receive(simulator, provider, receiver, "PAY20261125001")
    note = provider.parse_notification(head, body, FIXED + timedelta(seconds=43))
    assert (note.out_trade_no, note.state, note.amount_fen) == ("PAY20261125001", "paid", 1200)
    assert note.paid_at == datetime(2026, 11, 25, 9, 30, 42, tzinfo=timezone.utc)
    assert note.notification_id.startswith("EV-20261125173042")
    status = provider.query("PAY20261125001")
    assert note.transaction_id == status.transaction_id
    assert (status.state, status.amount_fen, status.paid_at) == ("paid", 1200, note.paid_at)
    assert status.payer.startswith("oSim")
    assert provider.reply(True).status == 200
    assert simulator.deliveries[-1].status == 200


def test_a_payment_named_by_its_code_url_and_another_amount_is_reported_as_such(provider, simulator, receiver):
    placed = provider.create_order(order("PAY20261125002"))
    assert control(simulator, "/_sim/pay", {"code_url": placed.qr_payload, "amount_fen": 1})[0] == 200
    assert provider.parse_notification(*receiver.take(), FIXED).amount_fen == 1
    assert provider.query("PAY20261125002").amount_fen == 1


def test_a_forged_signature_is_rejected_as_signature(provider, simulator, receiver):
    provider.create_order(order("FRG20261125001"))
    simulator.set_switches(forge=True)
    head, body = pay_and_receive(simulator, provider, receiver, "FRG20261125001")
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(head, body, FIXED)
    assert caught.value.reason == "signature"


def test_a_stale_notification_is_rejected_as_timestamp(provider, simulator, receiver):
    provider.create_order(order("STL20261125001"))
    simulator.set_switches(stale=True)
    head, body = pay_and_receive(simulator, provider, receiver, "STL20261125001")
    assert head["Wechatpay-Timestamp"] == str(int((FIXED - timedelta(minutes=10)).timestamp()))
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(head, body, FIXED)
    assert caught.value.reason == "timestamp"


def test_an_unknown_certificate_serial_is_rejected_as_certificate(provider, simulator, receiver):
    provider.create_order(order("CRT20261125001"))
    head, body = pay_and_receive(simulator, provider, receiver, "CRT20261125001")
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification({**head, "Wechatpay-Serial": "7132D72A03E93CDDF8C03BBD1F37EEDF"}, body, FIXED)
    assert caught.value.reason == "certificate"


def test_a_tampered_ciphertext_signed_by_the_platform_is_rejected_as_decrypt(provider, simulator, receiver):
    provider.create_order(order("DEC20261125001"))
    _, body = pay_and_receive(simulator, provider, receiver, "DEC20261125001")
    envelope = json.loads(body)
    cipher = envelope["resource"]["ciphertext"]
    envelope["resource"]["ciphertext"] = ("B" if cipher[0] == "A" else "A") + cipher[1:]
    tampered = json.dumps(envelope).encode()
    with pytest.raises(CallbackRejected) as caught:
        provider.parse_notification(simulator.sign_notification(tampered), tampered, FIXED)
    assert caught.value.reason == "decrypt"


def test_a_notification_for_another_merchant_is_rejected_as_merchant(provider, simulator, receiver):
    provider.create_order(order("MCH20261125001"))
    head, body = pay_and_receive(simulator, provider, receiver, "MCH20261125001")
    other = WeChatPayProvider(dataclasses.replace(provider.config, mchid="1900000099"))
    with pytest.raises(CallbackRejected) as caught:
        other.parse_notification(head, body, FIXED)
    assert caught.value.reason == "merchant" and "'1900000001'" in caught.value.message


def test_the_duplicate_switch_delivers_each_notification_twice(provider, simulator, receiver):
    provider.create_order(order("DUP20261125001"))
    before = simulator.notifier.delivered
    simulator.set_switches(duplicate=True)
    assert control(simulator, "/_sim/pay", {"out_trade_no": "DUP20261125001"})[0] == 200
    assert simulator.wait_delivered(before + 2, WAIT)
    first, second = [provider.parse_notification(*receiver.take(), FIXED) for _ in range(2)]
    assert first == second and first.state == "paid"


def test_the_drop_switch_delivers_nothing_and_a_query_still_says_paid(provider, simulator, receiver):
    provider.create_order(order("DRP20261125001", 800))
    before = simulator.notifier.delivered
    assert control(simulator, "/_sim/switches", {"drop": True})[1]["drop"] is True
    assert control(simulator, "/_sim/pay", {"out_trade_no": "DRP20261125001"})[0] == 200
    assert simulator.deliveries[-1].outcome == "dropped"
    assert simulator.notifier.delivered == before and receiver.received.empty()
    status = provider.query("DRP20261125001")
    assert (status.state, status.amount_fen) == ("paid", 800)


def test_the_delay_switch_holds_notifications_until_released(provider, simulator, receiver):
    provider.create_order(order("DLY20261125001"))
    simulator.set_switches(delay=True)
    assert control(simulator, "/_sim/pay", {"out_trade_no": "DLY20261125001"})[0] == 200
    assert simulator.deliveries[-1].outcome == "held" and receiver.received.empty()
    assert control(simulator, "/_sim/release", {}) == (200, {"released": 1})
    assert provider.parse_notification(*receiver.take(), FIXED).out_trade_no == "DLY20261125001"


# ---------------------------------------------------------------------------------- close and refunds


def test_a_closed_order_reads_closed_and_can_no_longer_be_paid(provider, simulator):
    provider.create_order(order("CLS20261125001"))
    provider.close("CLS20261125001")
    provider.close("CLS20261125001")  # closing twice is harmless
    assert provider.query("CLS20261125001").state == "closed"
    assert control(simulator, "/_sim/pay", {"out_trade_no": "CLS20261125001"})[0] == 409


def test_an_order_the_platform_never_had_reads_closed(provider):
    assert provider.query("NONE20261125001").state == "closed"
    provider.close("NONE20261125001")


def test_a_paid_order_cannot_be_closed(provider, simulator, receiver):
    provider.create_order(order("CLS20261125002"))
    pay_and_receive(simulator, provider, receiver, "CLS20261125002")
    with pytest.raises(ProviderError) as caught:
        provider.close("CLS20261125002")
    assert caught.value.code == "ORDERPAID"


def test_a_partial_refund_then_the_rest_and_no_more(provider, simulator, receiver):
    provider.create_order(order("RFD20261125001", 1200))
    pay_and_receive(simulator, provider, receiver, "RFD20261125001")
    paid = provider.query("RFD20261125001")
    part = provider.refund(RefundRequest("RF20261125001", "RFD20261125001", paid.transaction_id, 500, 1200, "多收"))
    assert (part.out_refund_no, part.state, part.refunded_at) == ("RF20261125001", "refunded", FIXED)
    assert part.refund_id.startswith("5030020261125")
    again = provider.refund(RefundRequest("RF20261125001", "RFD20261125001", paid.transaction_id, 500, 1200))
    assert again == part  # the same refund number is the same refund
    rest = provider.refund(RefundRequest("RF20261125002", "RFD20261125001", paid.transaction_id, 700, 1200))
    assert rest.state == "refunded" and rest.refund_id != part.refund_id
    with pytest.raises(ProviderError) as caught:
        provider.refund(RefundRequest("RF20261125003", "RFD20261125001", paid.transaction_id, 1, 1200))
    assert (caught.value.code, caught.value.retryable) == ("INVALID_REQUEST", False)
    assert "超过订单可退金额" in caught.value.message
    assert provider.query("RFD20261125001").state == "refunded"


def test_an_unpaid_order_cannot_be_refunded(provider):
    provider.create_order(order("RFD20261125002"))
    with pytest.raises(ProviderError) as caught:
        provider.refund(RefundRequest("RF20261125009", "RFD20261125002", "", 100, 1200))
    assert caught.value.code == "INVALID_REQUEST"


# ------------------------------------------------------------------------------------------------ bill


def test_the_bill_of_a_day_lists_its_payments_and_refunds_in_fen(provider, simulator, receiver, platform_clock):
    day = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing on 1 December
    platform_clock.now = day
    for no, fen in (("BIL20261201001", 1234), ("BIL20261201002", 600)):
        provider.create_order(order(no, fen))
        pay_and_receive(simulator, provider, receiver, no)
    provider.create_order(order("BIL20261201003", 999))  # never paid: not on the bill
    platform_clock.now = day + timedelta(hours=13, minutes=59, seconds=59)  # 23:59:59 in Beijing
    refund = provider.refund(RefundRequest("BRF20261201001", "BIL20261201001", "", 234, 1234))
    platform_clock.now = day + timedelta(hours=14)  # 00:00 on 2 December: the next day's bill
    late = provider.refund(RefundRequest("BRF20261202001", "BIL20261201002", "", 600, 600))
    lines = provider.bill(date(2026, 12, 1))
    assert [(b.kind, b.out_trade_no, b.amount_fen, b.at, b.out_refund_no, b.refund_id) for b in lines] == [
        ("payment", "BIL20261201001", 1234, day, "", ""),
        ("payment", "BIL20261201002", 600, day, "", ""),
        ("refund", "BIL20261201001", 234, day + timedelta(hours=13, minutes=59, seconds=59), "BRF20261201001",
         refund.refund_id),
    ]
    assert lines[2].transaction_id == lines[0].transaction_id == provider.query("BIL20261201001").transaction_id
    assert [(b.kind, b.amount_fen, b.refund_id) for b in provider.bill(date(2026, 12, 2))] == [
        ("refund", 600, late.refund_id)]


def test_a_day_without_business_has_an_empty_bill(provider):
    assert provider.bill(date(2026, 1, 1)) == []
