"""The WeChat Pay simulator on its own terms, over loopback HTTP: bounded and malformed input, merchant
authentication, signed answers checked with the certificate it publishes, the control endpoints (orders,
switches, retry after a failed delivery), expiry, re-equipping a merchant, and the command-line program."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509

from parking.payments.base import OrderRequest
from parking.payments.wechat import WeChatPayProvider, load_wechatpay_config
from parking.payments.wechat_signing import response_message, verify
from simulators.wechatpay import SWITCHES, WeChatPaySimulator, generate_merchant

FIXED = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
WAIT = 5.0
ROOT = Path(__file__).resolve().parents[3]


class Clock:
    def __init__(self) -> None:
        self.now = FIXED

    def __call__(self) -> datetime:
        return self.now


class FlakyReceiver:
    """Answers each notification with the next status in ``statuses`` (then 200), recording each body."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.bodies: queue.Queue[bytes] = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.bodies.put(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                status = outer.statuses.pop(0) if outer.statuses else 200
                answer = b"" if status == 200 else b'{"code":"FAIL","message":"busy"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def receiver() -> Iterator[FlakyReceiver]:
    found = FlakyReceiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(scope="module")
def simulator(clock) -> Iterator[WeChatPaySimulator]:
    with WeChatPaySimulator(clock=clock) as sim:
        yield sim


@pytest.fixture(scope="module")
def merchant_dir(simulator, receiver, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("merchant")
    generate_merchant(folder, notify_url=receiver.url, gateway=simulator.base_url)
    return folder


@pytest.fixture
def provider(merchant_dir, simulator, clock) -> WeChatPayProvider:
    clock.now = FIXED
    simulator.set_switches(**{name: False for name in SWITCHES})
    return WeChatPayProvider(load_wechatpay_config(merchant_dir / "wechatpay.toml"), clock=clock)


def call(sim: WeChatPaySimulator, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(sim.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


def test_a_body_over_64_kib_is_refused_with_413(simulator):
    status, _, body = call(simulator, "POST", "/_sim/pay", b"{" + b" " * (64 * 1024) + b"}")
    assert status == 413 and "65536" in json.loads(body)["message"]


@pytest.mark.parametrize("path", ["/_sim/pay", "/_sim/switches", "/_sim/merchants"])
def test_a_body_that_is_not_json_is_refused_with_400_and_a_message(simulator, path):
    status, _, body = call(simulator, "POST", path, b"{out_trade_no: 1")
    assert status == 400
    assert json.loads(body)["code"] == "PARAM_ERROR" and "不是 JSON" in json.loads(body)["message"]


def test_an_unsigned_api_request_is_refused_with_an_unsigned_401(simulator):
    status, headers, body = call(simulator, "GET", "/v3/certificates")
    assert (status, json.loads(body)["code"]) == (401, "SIGN_ERROR")
    assert "wechatpay-signature" not in headers


def test_every_other_answer_is_signed_with_the_published_certificate(simulator, merchant_dir, clock):
    clock.now = FIXED
    status, headers, body = call(simulator, "GET", "/_sim/orders")
    assert status == 200 and headers["wechatpay-serial"] == simulator.platform_serial
    published = merchant_dir / "platform" / f"wechatpay_{simulator.platform_serial}.pem"
    public = x509.load_pem_x509_certificate(published.read_bytes()).public_key()
    message = response_message(headers["wechatpay-timestamp"], headers["wechatpay-nonce"], body)
    assert verify(public, message, headers["wechatpay-signature"])
    assert headers["wechatpay-timestamp"] == str(int(FIXED.timestamp()))


def test_switches_are_set_read_and_unknown_ones_refused(simulator):
    status, _, body = call(simulator, "POST", "/_sim/switches", b'{"delay": true}')
    assert status == 200 and json.loads(body) == {**{name: False for name in SWITCHES}, "delay": True}
    assert json.loads(call(simulator, "GET", "/_sim/switches")[2])["delay"] is True
    status, _, body = call(simulator, "POST", "/_sim/switches", b'{"lose": true}')
    assert status == 400 and "unknown switch 'lose'" in json.loads(body)["message"]
    assert call(simulator, "POST", "/_sim/switches", b'{"drop": "yes"}')[0] == 400
    call(simulator, "POST", "/_sim/switches", b'{"delay": false}')


def test_orders_are_listed_with_their_state(provider, simulator):
    provider.create_order(OrderRequest("LST20261125001", 700, "停车费"))
    listed = {o["out_trade_no"]: o for o in json.loads(call(simulator, "GET", "/_sim/orders")[2])["orders"]}
    entry = listed["LST20261125001"]
    assert (entry["trade_state"], entry["amount"], entry["description"]) == (
        "NOTPAY", {"total": 700, "currency": "CNY"}, "停车费")
    assert entry["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")


def test_a_notification_the_receiver_refused_is_sent_again_on_retry(provider, simulator, receiver):
    provider.create_order(OrderRequest("RTY20261125001", 900, "停车费"))
    receiver.statuses.append(500)
    before = simulator.notifier.delivered
    simulator.pay("RTY20261125001")
    assert simulator.wait_delivered(before + 1, WAIT)
    first = receiver.bodies.get(timeout=WAIT)
    attempts = json.loads(call(simulator, "GET", "/_sim/notifications")[2])["attempts"]
    assert (attempts[-1]["out_trade_no"], attempts[-1]["status"]) == ("RTY20261125001", 500)
    assert json.loads(call(simulator, "POST", "/_sim/retry")[2]) == {"resent": 1}
    assert simulator.wait_delivered(before + 2, WAIT)
    assert receiver.bodies.get(timeout=WAIT) == first
    assert simulator.deliveries[-1].status == 200
    assert json.loads(call(simulator, "POST", "/_sim/retry")[2]) == {"resent": 0}


def test_an_order_past_its_expiry_cannot_be_paid(provider, simulator, clock):
    provider.create_order(OrderRequest("EXP20261125001", 500, "停车费", expires_at=FIXED + timedelta(minutes=5)))
    clock.now = FIXED + timedelta(minutes=5, seconds=1)
    status, _, body = call(simulator, "POST", "/_sim/pay", b'{"out_trade_no": "EXP20261125001"}')
    assert (status, json.loads(body)["code"]) == (409, "ORDER_EXPIRED")


def test_paying_an_unknown_order_is_404(simulator):
    status, _, body = call(simulator, "POST", "/_sim/pay", b'{"out_trade_no": "NONE20261125001"}')
    assert (status, json.loads(body)["code"]) == (404, "ORDER_NOT_EXIST")


def test_equipping_a_merchant_again_keeps_its_keys(merchant_dir, simulator, receiver):
    before = load_wechatpay_config(merchant_dir / "wechatpay.toml")
    generate_merchant(merchant_dir, notify_url=receiver.url, gateway=simulator.base_url)
    after = load_wechatpay_config(merchant_dir / "wechatpay.toml")
    assert (after.merchant_serial, after.apiv3_key) == (before.merchant_serial, before.apiv3_key)
    assert sorted(after.platform_keys) == [simulator.platform_serial]
    assert oct((merchant_dir / "apiclient_key.pem").stat().st_mode & 0o777) == "0o600"


def test_generate_merchant_says_when_no_simulator_answers(tmp_path):
    with pytest.raises(ConnectionError, match="no WeChat Pay simulator answers at http://127.0.0.1:9"):
        generate_merchant(tmp_path, notify_url="http://127.0.0.1:1/notify", gateway="http://127.0.0.1:9")


def test_the_program_serves_and_writes_a_merchant_the_provider_loads(tmp_path):
    program = subprocess.Popen(
        [sys.executable, "-m", "simulators.wechatpay", "--port", "0", "--merchant-dir", str(tmp_path / "m")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in program.stdout], daemon=True).start()
    try:
        started, equipped = lines.get(timeout=20), lines.get(timeout=20)
        assert started.startswith("WeChat Pay simulator at http://127.0.0.1:")
        toml = Path(equipped.rsplit(": ", 1)[1].strip())
        assert toml == tmp_path / "m" / "wechatpay.toml"
        provider = WeChatPayProvider(load_wechatpay_config(toml))
        placed = provider.create_order(OrderRequest("CLI20261125001", 100, "停车费"))
        assert placed.qr_payload.startswith("weixin://wxpay/bizpayurl?pr=")
    finally:
        program.send_signal(signal.SIGTERM)
        assert program.wait(timeout=10) == 0
