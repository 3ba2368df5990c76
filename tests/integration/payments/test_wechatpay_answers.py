"""What the WeChat Pay provider refuses or tolerates in the platform's answers, over loopback HTTP with real
RSA: a wrong signature, an unknown or stale signing key, a request the platform cannot verify, an
unreachable or failing platform; and the two ways a merchant knows the platform's key (certificates, which
can be downloaded, or the platform public key). Shares the simulator fixtures of ``test_wechatpay``.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.base import ProviderError
from parking.payments.wechat import WeChatPayProvider, load_wechatpay_config
from simulators.wechatpay import generate_merchant
from tests.integration.payments.test_wechatpay import (FIXED, merchant_toml, order, pay_and_receive,  # noqa: F401
                                                       platform_clock, provider, receiver, simulator)


def test_an_answer_with_a_wrong_signature_is_refused(provider, simulator):
    simulator.set_switches(forge_responses=True)
    with pytest.raises(ProviderError) as caught:
        provider.create_order(order("SIG20261125001"))
    assert caught.value.code == "SIGNATURE" and "failed signature verification" in caught.value.message


def test_an_answer_signed_by_an_unknown_platform_key_is_refused(provider):
    stranger = dataclasses.replace(provider.config, platform_keys={})
    with pytest.raises(ProviderError) as caught:
        WeChatPayProvider(stranger, clock=provider.clock).query("SIG20261125002")
    assert caught.value.code == "CERTIFICATE"


def test_an_answer_older_than_five_minutes_is_refused(provider, simulator):
    body = '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}'.encode()
    for age, expected in ((299, "closed"), (301, "TIMESTAMP")):
        stamp = int((FIXED - timedelta(seconds=age)).timestamp())
        with stub_platform(404, body, simulator.sign_notification(body, timestamp=stamp)) as gateway:
            stub = WeChatPayProvider(dataclasses.replace(provider.config, gateway=gateway), clock=provider.clock)
            try:
                outcome = stub.query("OLD20261125001").state
            except ProviderError as exc:
                outcome = exc.code
        assert outcome == expected


def test_a_request_signed_with_another_key_is_refused_by_the_platform(provider):
    wrong = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    impostor = WeChatPayProvider(dataclasses.replace(provider.config, merchant_key=wrong), clock=provider.clock)
    with pytest.raises(ProviderError) as caught:
        impostor.create_order(order("SIG20261125004"))
    assert (caught.value.code, caught.value.retryable) == ("SIGN_ERROR", False)


def test_an_unreachable_platform_is_a_retryable_error(provider):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    offline = WeChatPayProvider(dataclasses.replace(provider.config, gateway=f"http://127.0.0.1:{port}"))
    with pytest.raises(ProviderError) as caught:
        offline.query("NET20261125001")
    assert (caught.value.code, caught.value.retryable) == ("NETWORK", True)
    assert f"http://127.0.0.1:{port} did not answer" in caught.value.message


def test_a_platform_fault_is_a_retryable_error_with_its_code(provider):
    with stub_platform(500, '{"code":"SYSTEM_ERROR","message":"系统错误"}'.encode(), {}) as gateway:
        faulty = WeChatPayProvider(dataclasses.replace(provider.config, gateway=gateway))
        with pytest.raises(ProviderError) as caught:
            faulty.query("SYS20261125001")
    assert (caught.value.code, caught.value.retryable) == ("SYSTEM_ERROR", True)
    assert "HTTP 500: SYSTEM_ERROR 系统错误" in caught.value.message


@contextmanager
def stub_platform(status: int, body: bytes, headers: dict[str, str]) -> Iterator[str]:
    """A gateway that gives every request the same answer."""
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_platform_certificates_can_be_downloaded(provider, simulator):
    assert list(provider.download_platform_certificates()) == [simulator.platform_serial]


def test_a_merchant_in_public_key_mode_verifies_with_the_platform_public_key(simulator, receiver, tmp_path,
                                                                            platform_clock):
    platform_clock.now = FIXED
    toml = generate_merchant(tmp_path, notify_url=receiver.url, gateway=simulator.base_url, mchid="1900000002",
                             appid="wx2222222222222222", key_mode="public_key")
    keyed = WeChatPayProvider(load_wechatpay_config(toml), clock=platform_clock)
    assert list(keyed.config.platform_keys) == [simulator.public_key_id]
    keyed.create_order(order("PUB20261125001"))
    head, body = pay_and_receive(simulator, keyed, receiver, "PUB20261125001")
    assert head["Wechatpay-Serial"] == simulator.public_key_id
    assert keyed.parse_notification(head, body, FIXED).state == "paid"
