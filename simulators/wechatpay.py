"""A WeChat Pay APIv3 platform on loopback, speaking the real wire format, for tests and the demo.

In process::

    with WeChatPaySimulator(clock=clock) as sim:                 # base URL in sim.base_url
        toml = generate_merchant(folder, notify_url=..., gateway=sim.base_url)
        provider = WeChatPayProvider(load_wechatpay_config(toml), clock=clock)

As a program (writes the merchant into DIR and prints the TOML path; Ctrl-C stops it)::

    python -m simulators.wechatpay --port 8093 --merchant-dir DIR [--notify-url URL] [--key-mode public_key]

At start it makes its own platform RSA key and self-signed certificate (serial in hex), and a platform
public key id for merchants in the "微信支付公钥" mode. Every answer is signed (``Wechatpay-Timestamp``,
``-Nonce``, ``-Signature``, ``-Serial``) except a bill file, which the real platform does not sign either.
Every ``/v3/`` request must carry a valid merchant ``Authorization`` (else 401 SIGN_ERROR), within five
minutes of the simulator's clock. Bodies over 64 KiB get 413; bodies that are not JSON get 400.

The APIv3 endpoints (signed by the merchant, as the provider sends them)::

    GET  /v3/certificates                          platform certificate sealed with the APIv3 key
    POST /v3/pay/transactions/native               → {"code_url": "weixin://wxpay/bizpayurl?pr=<token>"}
    POST /v3/pay/transactions/h5                   → {"h5_url": "<base>/_sim/h5/<token>?prepay_id=..."}
    GET  /v3/pay/transactions/out-trade-no/<no>?mchid=<mchid>   the transaction (404 ORDER_NOT_EXIST)
    GET  /v3/pay/transactions/id/<transaction_id>?mchid=<mchid>
    POST /v3/pay/transactions/out-trade-no/<no>/close           {"mchid": ...} → 204
    POST /v3/refund/domestic/refunds               → the refund (SUCCESS); over-refund 400 INVALID_REQUEST
    GET  /v3/refund/domestic/refunds/<out_refund_no>
    GET  /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL  → download_url, SHA1 hash (400 NO_STATEMENT_EXIST)
    GET  /v3/billdownload/file?token=<token>       the CSV bill of that day (Asia/Shanghai)

A signed call by hand looks like this (the signature covers ``GET\\n/v3/certificates\\n<ts>\\n<nonce>\\n\\n``)::

    curl http://127.0.0.1:8093/v3/certificates -H 'Authorization: WECHATPAY2-SHA256-RSA2048 \\
        mchid="1900000001",nonce_str="...",signature="...",timestamp="...",serial_no="..."'

Control endpoints, to act as the payer and to make the platform misbehave (unsigned requests)::

    curl -X POST localhost:8093/_sim/pay -d '{"out_trade_no": "P20261125001"}'       # pay the whole order
    curl -X POST localhost:8093/_sim/pay -d '{"out_trade_no": "P1", "amount_fen": 1}' # report another amount
    curl -X POST localhost:8093/_sim/pay -d '{"code_url": "weixin://wxpay/bizpayurl?pr=..."}'
    curl -X POST localhost:8093/_sim/switches -d '{"drop": true}'   # drop, delay, duplicate, forge, stale,
    curl localhost:8093/_sim/switches                               # and forge_responses (bad API signatures)
    curl -X POST localhost:8093/_sim/release     # send the notifications "delay" held back
    curl -X POST localhost:8093/_sim/retry       # send again those the receiver did not answer with 2xx
    curl localhost:8093/_sim/orders              # every order with its refunds
    curl localhost:8093/_sim/notifications       # every delivery attempt and the receiver's answer
    curl localhost:8093/_sim/h5/<token>          # the H5 cashier page; its 确认支付 button POSTs
    curl -X POST localhost:8093/_sim/h5/<token>/pay                 # ... here, which pays the order
    curl -X POST localhost:8093/_sim/merchants -d '{"mchid": ..., "appid": ..., "merchant_serial": ...,
         "merchant_certificate": "<PEM>", "apiv3_key": "<32 chars>", "key_mode": "certificate"}'
         # register a merchant (generate_merchant does this); answers the platform certificate and public key

``/_sim/pay`` marks the order SUCCESS and posts the notification (resource sealed with the merchant's
APIv3 key, headers signed) to the order's ``notify_url`` from a background thread; ``wait_delivered(n,
timeout)`` waits for n delivery attempts. Keys and certificates: :mod:`simulators.wechatpay_keys`; orders,
refunds and bills: :mod:`simulators.wechatpay_platform`; delivery and switches: :mod:`simulators.wechatpay_notify`;
the HTTP server and body limits: :mod:`simulators.wechatpay_http`.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import secrets
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509

from simulators.wechatpay_keys import (answer_message, cert_pem, generate_merchant, new_rsa_key, parse_authorization,
                                       public_pem, request_message, seal, self_signed, serial_hex, sign, verifies)
from simulators.wechatpay_http import Answer, json_answer, json_body, make_server, page
from simulators.wechatpay_notify import SWITCHES, Attempt, Notice, Notifier
from simulators.wechatpay_platform import CHINA, Merchant, Order, Platform, PlatformError, code_url, rfc3339, yuan

__all__ = ["WeChatPaySimulator", "generate_merchant", "main"]

CLOCK_SKEW_SECONDS = 300
BILLS_KEPT = 64
_ORDER_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/]+)$")
_CLOSE_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/]+)/close$")
_ID_PATH = re.compile(r"^/v3/pay/transactions/id/([^/]+)$")
_REFUND_PATH = re.compile(r"^/v3/refund/domestic/refunds/([^/]+)$")
_H5_PATH = re.compile(r"^/_sim/h5/([A-Za-z0-9_\-]+)(/pay)?$")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WeChatPaySimulator:
    """The platform: its keys, its book of orders, its notifier, and an HTTP server once started."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], datetime] = utc_now,
                 notify_timeout: float = 5.0) -> None:
        self.host, self.port, self.clock = host, port, clock
        self.platform = Platform()
        self.platform_key = new_rsa_key()
        self.platform_certificate: x509.Certificate = self_signed(self.platform_key, "WeChat Pay platform", clock())
        self.platform_serial = serial_hex(self.platform_certificate)
        self.public_key_id = f"PUB_KEY_ID_01{secrets.randbelow(10 ** 26):026d}"
        self.notifier = Notifier(sign=lambda message: sign(self.platform_key, message), clock=clock,
                                 timeout=notify_timeout)
        self.notices: dict[str, Notice] = {}
        self._bills: dict[str, tuple[str, bytes]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------------------- lifecycle

    def start(self) -> str:
        self._server = make_server(self.host, self.port, self.respond)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="wechatpay-sim", daemon=True)
        self._thread.start()
        self.notifier.start()
        return self.base_url

    def stop(self) -> None:
        self.notifier.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> WeChatPaySimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the WeChat Pay simulator is not started; call start()")
        host, port = self._server.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"

    # ----------------------------------------------------------------------------- acting as the payer

    def register_merchant(self, *, mchid: str, appid: str, merchant_serial: str, merchant_certificate: str,
                          apiv3_key: str, key_mode: str = "certificate") -> dict[str, str]:
        cert = x509.load_pem_x509_certificate(merchant_certificate.encode())
        if key_mode not in ("certificate", "public_key") or len(apiv3_key.encode()) != 32:
            raise ValueError("key_mode must be certificate or public_key, and apiv3_key 32 bytes")
        merchant = Merchant(mchid, appid, merchant_serial.upper(), cert.public_key(),  # type: ignore[arg-type]
                            apiv3_key.encode(), key_mode)
        with self.platform.lock:
            self.platform.merchants[mchid] = merchant
        return {"platform_serial": self.platform_serial,
                "platform_certificate": cert_pem(self.platform_certificate).decode(),
                "platform_public_key": public_pem(self.platform_key.public_key()).decode(),
                "platform_public_key_id": self.public_key_id}

    def pay(self, out_trade_no: str = "", *, code_url: str = "", token: str = "", mchid: str = "",
            amount_fen: int | None = None) -> Order:
        """Pay an order as its payer would; the notification goes out from the delivery thread."""
        order = self.platform.find_for_payer(out_trade_no=out_trade_no, code_url=code_url, token=token,
                                             mchid=mchid)
        self.platform.pay(order, self.clock(), amount_fen)
        self._notify(order)
        return order

    def set_switches(self, **flags: bool) -> dict[str, bool]:
        unknown = sorted(set(flags) - set(SWITCHES))
        if unknown:
            raise ValueError(f"unknown switch {unknown[0]!r}; expected {', '.join(SWITCHES)}")
        for name, value in flags.items():
            setattr(self.notifier.switches, name, bool(value))
        return self.notifier.switches.as_json()

    def release(self) -> int:
        return self.notifier.release()

    def wait_delivered(self, count: int, timeout: float = 5.0) -> bool:
        return self.notifier.wait_delivered(count, timeout)

    @property
    def deliveries(self) -> list[Attempt]:
        return list(self.notifier.log)

    def sign_notification(self, body: bytes, *, timestamp: int | None = None, serial: str = "") -> dict[str, str]:
        """Signed headers for any body, to rehearse notifications the platform would never send."""
        stamp = str(int(self.clock().timestamp()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16).upper()
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": sign(self.platform_key, answer_message(stamp, nonce, body)),
                "Wechatpay-Serial": serial or self.platform_serial,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048", "Content-Type": "application/json"}

    def _serial_for(self, merchant: Merchant | None) -> str:
        return self.public_key_id if merchant and merchant.key_mode == "public_key" else self.platform_serial

    def _notify(self, order: Order) -> None:
        now = self.clock()
        resource = seal(order.merchant.apiv3_key, json.dumps(order.transaction(), ensure_ascii=False).encode(),
                        "transaction")
        event_id = f"EV-{now.astimezone(CHINA):%Y%m%d%H%M%S}{secrets.randbelow(10 ** 7):07d}"
        body = {"id": event_id, "create_time": rfc3339(now), "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
                "resource": {"original_type": "transaction", **resource}}
        notice = Notice(event_id, order.out_trade_no, order.notify_url,
                        json.dumps(body, ensure_ascii=False).encode(), self._serial_for(order.merchant))
        self.notices[event_id] = notice
        self.notifier.submit(notice)

    # ---------------------------------------------------------------------------------------- requests

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """One request → one answer. Like the real platform, an answer to a request whose merchant signature
        failed (401) is not signed; every other answer is, with the key the merchant knows the platform by."""
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        merchant = None
        try:
            if parts.path.startswith("/_sim/"):
                return self._control(method, parts.path, body)
            if not parts.path.startswith("/v3/"):
                raise PlatformError(404, "NOT_FOUND", f"no such endpoint {parts.path}")
            merchant = self._authenticate(method, target, headers, body)
            answer = self._api(method, parts.path, query, body, merchant)
        except PlatformError as exc:
            answer = json_answer(exc.status, {"code": exc.code, "message": exc.message})
            answer.signed = exc.status != 401
        except Exception as exc:  # a fault of the simulator itself: answer as the platform does, keep serving
            answer = json_answer(500, {"code": "SYSTEM_ERROR", "message": f"{type(exc).__name__}: {exc}"})
        answer.serial = self._serial_for(merchant)
        return answer

    def _authenticate(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Merchant:
        auth = parse_authorization(headers.get("Authorization", ""))
        if auth is None:
            raise PlatformError(401, "SIGN_ERROR", "Authorization 头缺失或不是 WECHATPAY2-SHA256-RSA2048")
        merchant = self.platform.merchants.get(auth["mchid"])
        if merchant is None:
            raise PlatformError(401, "SIGN_ERROR", f"商户号 {auth['mchid']} 未在模拟平台注册")
        if auth["serial_no"].upper() != merchant.serial:
            raise PlatformError(401, "SIGN_ERROR", f"商户证书序列号 {auth['serial_no']} 不正确")
        stamp = auth["timestamp"]
        if not stamp.isdigit() or abs(self.clock().timestamp() - int(stamp)) > CLOCK_SKEW_SECONDS:
            raise PlatformError(401, "SIGN_ERROR", f"timestamp {stamp} 与平台时间相差超过 5 分钟")
        message = request_message(method, target, stamp, auth["nonce_str"], body)
        if not verifies(merchant.public_key, message, auth["signature"]):
            raise PlatformError(401, "SIGN_ERROR", "签名错误")
        return merchant

    def _api(self, method: str, path: str, query: dict[str, str], body: bytes, merchant: Merchant) -> Answer:
        now = self.clock()
        if method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/h5"):
            native = path.endswith("native")
            order = self.platform.create(merchant, json_body(body), "NATIVE" if native else "MWEB", now)
            if native:
                return json_answer(200, {"code_url": code_url(order)})
            prepay = f"wx{now.astimezone(CHINA):%d%H%M%S}{hashlib.sha1(order.token.encode()).hexdigest()[:22]}"
            return json_answer(200, {"h5_url": f"{self.base_url}/_sim/h5/{order.token}?prepay_id={prepay}"})
        if method == "GET" and path == "/v3/certificates":
            sealed = seal(merchant.apiv3_key, cert_pem(self.platform_certificate), "certificate")
            cert = self.platform_certificate
            return json_answer(200, {"data": [{
                "serial_no": self.platform_serial, "effective_time": rfc3339(cert.not_valid_before_utc),
                "expire_time": rfc3339(cert.not_valid_after_utc), "encrypt_certificate": sealed}]})
        if method == "GET" and (found := _ORDER_PATH.match(path) or _ID_PATH.match(path)):
            _same_merchant(query.get("mchid"), merchant)
            if path.startswith("/v3/pay/transactions/id/"):
                with self.platform.lock:
                    order = next((o for o in self.platform.orders.values()
                                  if o.merchant is merchant and o.transaction_id == found.group(1)), None)
                if order is None:
                    raise PlatformError(404, "ORDER_NOT_EXIST", "订单不存在")
            else:
                order = self.platform.find(merchant.mchid, found.group(1))
            return json_answer(200, order.transaction())
        if method == "POST" and (found := _CLOSE_PATH.match(path)):
            _same_merchant(json_body(body).get("mchid"), merchant)
            self.platform.close(self.platform.find(merchant.mchid, found.group(1)))
            return Answer(204)
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return json_answer(200, self.platform.refund(merchant, json_body(body), now).as_json())
        if method == "GET" and (found := _REFUND_PATH.match(path)):
            refund = self.platform.refunds.get((merchant.mchid, found.group(1)))
            if refund is None:
                raise PlatformError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return json_answer(200, refund.as_json())
        if method == "GET" and path == "/v3/bill/tradebill":
            return self._trade_bill(merchant, query)
        if method == "GET" and path == "/v3/billdownload/file":
            held = self._bills.get(query.get("token", ""))
            if held is None or held[0] != merchant.mchid:
                raise PlatformError(404, "RESOURCE_NOT_EXISTS", "账单下载链接无效")
            return Answer(200, held[1], content_type="text/csv; charset=utf-8", signed=False)
        raise PlatformError(404, "NOT_FOUND", f"no such endpoint {method} {path}")

    def _trade_bill(self, merchant: Merchant, query: dict[str, str]) -> Answer:
        try:
            day = date.fromisoformat(query.get("bill_date", ""))
        except ValueError as exc:
            raise PlatformError(400, "PARAM_ERROR", "bill_date 格式应为 YYYY-MM-DD") from exc
        if query.get("bill_type", "ALL") != "ALL":
            raise PlatformError(400, "PARAM_ERROR", "the simulator offers bill_type ALL only")
        raw = self.platform.bill(merchant.mchid, day)
        if raw is None:
            raise PlatformError(400, "NO_STATEMENT_EXIST", "该日期无账单")
        token = secrets.token_urlsafe(16)
        self._bills[token] = (merchant.mchid, raw)
        while len(self._bills) > BILLS_KEPT:  # download addresses are short-lived on the real platform too
            del self._bills[next(iter(self._bills))]
        return json_answer(200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(raw).hexdigest(),
                                  "download_url": f"{self.base_url}/v3/billdownload/file?token={token}"})

    def _control(self, method: str, path: str, body: bytes) -> Answer:
        if method == "GET" and (found := _H5_PATH.match(path)) and not found.group(2):
            return self._cashier(found.group(1))
        if method == "POST" and (found := _H5_PATH.match(path)) and found.group(2):
            order = self.pay(token=found.group(1))
            return page("支付成功", f"<p>已支付 ¥{yuan(order.paid_fen)}</p>")
        if method == "POST" and path == "/_sim/pay":
            data = json_body(body)
            amount = data.get("amount_fen")
            order = self.pay(str(data.get("out_trade_no") or ""), code_url=str(data.get("code_url") or ""),
                             mchid=str(data.get("mchid") or ""), amount_fen=amount)  # type: ignore[arg-type]
            return json_answer(200, order.transaction())
        if method == "POST" and path == "/_sim/switches":
            data = json_body(body)
            if any(not isinstance(v, bool) for v in data.values()):
                raise PlatformError(400, "PARAM_ERROR", "switch values must be true or false")
            try:
                return json_answer(200, self.set_switches(**data))
            except ValueError as exc:
                raise PlatformError(400, "PARAM_ERROR", str(exc)) from exc
        if method == "GET" and path == "/_sim/switches":
            return json_answer(200, self.notifier.switches.as_json())
        if method == "POST" and path == "/_sim/release":
            return json_answer(200, {"released": self.release()})
        if method == "POST" and path == "/_sim/retry":
            return json_answer(200, {"resent": self.notifier.resend_unanswered(self.notices)})
        if method == "GET" and path == "/_sim/orders":
            return json_answer(200, {"orders": self.platform.listing()})
        if method == "GET" and path == "/_sim/notifications":
            return json_answer(200, {"delivered": self.notifier.delivered,
                                      "attempts": [a.as_json() for a in self.deliveries]})
        if method == "POST" and path == "/_sim/merchants":
            data = json_body(body)
            try:
                return json_answer(200, self.register_merchant(**{k: str(data.get(k, "")) for k in (
                    "mchid", "appid", "merchant_serial", "merchant_certificate", "apiv3_key", "key_mode")}))
            except ValueError as exc:
                raise PlatformError(400, "PARAM_ERROR", f"merchant not registered: {exc}") from exc
        raise PlatformError(404, "NOT_FOUND", f"no such control endpoint {method} {path}")

    def _cashier(self, token: str) -> Answer:
        order = self.platform.find_for_payer(token=token)
        if order.state != "NOTPAY":
            return page("微信支付", f"<p>订单{html.escape(order.transaction()['trade_state_desc'])}</p>")  # type: ignore[arg-type]
        return page("微信支付", f"<p>{html.escape(order.description)}</p><p class=amount>¥{yuan(order.total_fen)}</p>"
                     f'<form method=post action="/_sim/h5/{token}/pay"><button type=submit>确认支付</button></form>')

    def respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes
                ) -> tuple[Answer, dict[str, str]]:
        answer = self.handle(method, target, headers, body)
        return answer, self.sign_answer(answer) if answer.signed else {}

    def sign_answer(self, answer: Answer) -> dict[str, str]:
        stamp, nonce = str(int(self.clock().timestamp())), secrets.token_hex(16).upper()
        message = answer_message(stamp, nonce, answer.body)
        if self.notifier.switches.forge_responses:
            message += b"forged"
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce, "Request-ID": secrets.token_hex(16),
                "Wechatpay-Signature": sign(self.platform_key, message),
                "Wechatpay-Serial": answer.serial or self.platform_serial}


def _same_merchant(mchid: object, merchant: Merchant) -> None:
    if mchid != merchant.mchid:
        raise PlatformError(400, "PARAM_ERROR", f"mchid {mchid!r} 与请求头的商户号不一致")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.wechatpay", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--merchant-dir", type=Path, help="write a merchant (keys, certificate, TOML) here")
    parser.add_argument("--notify-url", default="http://127.0.0.1:5000/payments/wechat/notify",
                        help="the merchant's default notification address (an order may name its own)")
    parser.add_argument("--mchid", default="1900000001")
    parser.add_argument("--appid", default="wx8888888888888888")
    parser.add_argument("--key-mode", choices=("certificate", "public_key"), default="certificate")
    args = parser.parse_args(argv)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with WeChatPaySimulator(host=args.host, port=args.port) as sim:
        print(f"WeChat Pay simulator at {sim.base_url} (platform certificate {sim.platform_serial})", flush=True)
        if args.merchant_dir:
            toml = generate_merchant(args.merchant_dir, notify_url=args.notify_url, gateway=sim.base_url,
                                     mchid=args.mchid, appid=args.appid, key_mode=args.key_mode)
            print(f"merchant {args.mchid} configuration: {toml}", flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
