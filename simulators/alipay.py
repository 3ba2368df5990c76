"""A simulated Alipay OpenAPI gateway that speaks the real wire format, with RSA2 keys of its own.

At start it makes its own Alipay key pair. :func:`generate_merchant` makes an app key pair, registers the
app's public key with a running simulator, and writes what :func:`parking.payments.alipay.load_alipay_config`
reads: ``app_private_key.pem``, ``alipay_public_key.pem`` and ``alipay.toml``. Every request's ``sign`` is
checked with the app's public key (a bad one answers ``40002 isv.invalid-signature``) and every answer
node is signed with the simulator's key: ``{"alipay_trade_precreate_response": {...}, "sign": "..."}``.

In-process::

    with AlipaySimulator(clock=clock) as sim:          # sim.start() returns the gateway URL
        toml = generate_merchant(tmp, notify_url="http://127.0.0.1:8000/notify", gateway=sim.gateway_url)

As a process (writes DIR/alipay.toml for the app, then serves until SIGINT or SIGTERM)::

    python -m simulators.alipay --port 8300 --merchant-dir var/alipay [--notify-url URL] [--app-id ID]

Endpoints (bodies over 64 KiB are refused with 413; a malformed parameter is answered naming it):

``POST /gateway.do`` (form, or the query string): ``method`` =
  ``alipay.trade.precreate`` (``qr_code`` https://qr.alipay.com/bax...), ``alipay.trade.query``,
  ``alipay.trade.close``, ``alipay.trade.refund``, ``alipay.trade.fastpay.refund.query``,
  ``alipay.data.dataservice.bill.downloadurl.query`` (bill_type ``trade``, a day before today in
  Asia/Shanghai; the answer's ``bill_download_url`` serves the zip of GBK CSVs for 30 s).
``GET /gateway.do?<signed query>`` with ``method=alipay.trade.wap.pay``: the phone cashier, a page with a
  确认付款 button that posts to ``/cashier``, pays, notifies and returns to ``return_url`` if one was given.

Control endpoints (JSON), acting as the payer and as the network::

    curl -X POST localhost:8300/_sim/pay -d '{"out_trade_no": "P20261125A"}'     # pay, then notify
    curl -X POST localhost:8300/_sim/switches -d '{"duplicate": true}'           # switches stay until changed
    #   drop: notifications are not sent; delay: held until /_sim/release; duplicate: each posted twice;
    #   forge: signed with a key that is not Alipay's; stale: notify_time two days old
    curl -X POST localhost:8300/_sim/release                                     # post held and unanswered ones
    curl localhost:8300/_sim/orders                                              # every trade, with refunds
    curl localhost:8300/_sim/notifications                                       # every POST and its answer
    curl -X POST localhost:8300/_sim/apps -d '{"app_id": "2021...", "app_public_key": "-----BEGIN..."}'
    #   registers an app; answers the simulator's alipay_public_key (PEM) and seller_id

Notifications go out from a background thread (:mod:`simulators.alipay_notify`) after a payment and after
each refund, as Alipay sends them. The trade rules and the bill are in :mod:`simulators.alipay_book`.
Unlike Alipay, a precreated order exists at once (Alipay creates it when the QR is scanned, and answers
``ACQ.TRADE_NOT_EXIST`` before that); a wap order exists once its page was opened, as on Alipay.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import signal
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from simulators.alipay_book import SHANGHAI, TIME_FORMAT, Refund, Refusal, Trade, TradeBook, bill_zip, invalid, \
    read_text, shanghai, yuan
from simulators.alipay_http import GatewayHandler
from simulators.alipay_merchant import generate_merchant, public_pem
from simulators.alipay_notify import Delivery, Notice, Notifier

__all__ = ["AlipaySimulator", "generate_merchant", "main"]

SWITCHES = ("drop", "delay", "duplicate", "forge", "stale")
BILL_URL_LIFETIME = timedelta(seconds=30)
API = ("alipay.trade.precreate", "alipay.trade.query", "alipay.trade.close", "alipay.trade.refund",
       "alipay.trade.fastpay.refund.query", "alipay.data.dataservice.bill.downloadurl.query")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _content(params: dict[str, str], leave_out: tuple[str, ...]) -> bytes:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in leave_out and v).encode("utf-8")


def _sign(key: rsa.RSAPrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


class AlipaySimulator:
    """The gateway on ``host:port`` (0: any free port), trades timed by ``clock`` (aware datetimes)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], datetime] = utc_now,
                 seller_id: str = "2088000000000001", timeout: float = 5.0) -> None:
        self.host, self.port, self.clock, self.seller_id = host, port, clock, seller_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._apps: dict[str, rsa.RSAPublicKey] = {}
        self.book = TradeBook()
        self.switches = dict.fromkeys(SWITCHES, False)
        self.notifier = Notifier(timeout=timeout)
        self._bills: dict[str, tuple[date, datetime]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------------------------- lifecycle

    def start(self) -> str:
        handler = type("Handler", (GatewayHandler,), {"sim": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="alipay-sim", daemon=True)
        self._thread.start()
        self.notifier.start()
        return self.gateway_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.notifier.stop()

    def __enter__(self) -> AlipaySimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Alipay simulator is not started; call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    # ------------------------------------------------------------------------ keys and signatures

    @property
    def alipay_public_key_pem(self) -> str:
        return public_pem(self._key.public_key())

    def register_app(self, app_id: str, public_key_pem: str) -> None:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
        if not isinstance(key, rsa.RSAPublicKey) or not app_id.isascii() or not app_id.isalnum():
            raise ValueError("expected an alphanumeric app_id and an RSA public key in PEM")
        with self._lock:
            self._apps[app_id] = key

    def signed_form(self, params: dict[str, str], *, forged: bool = False) -> bytes:
        """``params`` as the form Alipay posts, signed with its key (or, ``forged``, with another one)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if forged else self._key
        signed = {**params, "sign_type": "RSA2"}
        signed["sign"] = _sign(key, _content(signed, ("sign", "sign_type")))
        return urlencode(signed).encode("ascii")

    def answer(self, node_name: str, node: dict[str, object]) -> bytes:
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        sign = _sign(self._key, text.encode("utf-8"))
        return f'{{"{node_name}":{text},"sign":"{sign}"}}'.encode("utf-8")

    # ------------------------------------------------------------------------------------ gateway

    def gateway(self, params: dict[str, str]) -> bytes:
        """The signed JSON answer to one API call."""
        method = params.get("method", "")
        node_name = method.replace(".", "_") + "_response" if method in API else "error_response"
        try:
            app_id = self._check_request(params)
            if method not in API:
                raise Refusal("40002", "isv.invalid-method", f"不存在的方法名: {method}")
            biz = self._biz(params)
            with self._lock:
                node = {"code": "10000", "msg": "Success", **getattr(self, "_" + method.split(".", 1)[1].replace(".", "_"))(
                    app_id, biz, params)}
        except Refusal as r:
            node = {"code": r.code, "msg": r.msg, "sub_code": r.sub_code, "sub_msg": r.sub_msg}
        return self.answer(node_name, node)

    def _check_request(self, params: dict[str, str]) -> str:
        for key in ("method", "app_id", "sign", "sign_type", "timestamp", "version"):
            if not params.get(key):
                raise Refusal("40001", f"isv.missing-{key.replace('sign', 'signature').replace('_', '-')}", f"缺少参数: {key}")
        with self._lock:
            app_key = self._apps.get(params["app_id"])
        if app_key is None:
            raise Refusal("40002", "isv.invalid-app-id", f"无效的AppID参数: {params['app_id']}")
        if params["sign_type"] != "RSA2":
            raise Refusal("40002", "isv.invalid-signature-type", f"无效的签名类型: sign_type {params['sign_type']}")
        if params.get("charset", "utf-8").lower() != "utf-8":
            raise Refusal("40002", "isv.invalid-charset", f"字符集错误: charset {params['charset']}")
        if params.get("format", "JSON").upper() != "JSON":
            raise Refusal("40002", "isv.invalid-format", f"无效的数据格式: format {params['format']}")
        if params["version"] != "1.0":
            raise Refusal("40002", "isv.invalid-parameter", f"参数无效: version {params['version']}")
        try:
            datetime.strptime(params["timestamp"], TIME_FORMAT)
        except ValueError:
            raise Refusal("40002", "isv.invalid-timestamp", f"非法的时间戳参数: timestamp {params['timestamp']}") from None
        for key in ("notify_url", "return_url"):
            if params.get(key) and urlsplit(params[key]).scheme not in ("http", "https"):
                raise Refusal("40002", "isv.invalid-parameter", f"参数无效: {key} {params[key]}")
        try:
            signature = base64.b64decode(params["sign"], validate=True)
            app_key.verify(signature, _content(params, ("sign",)), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise Refusal("40002", "isv.invalid-signature", "验签出错: 签名与应用公钥不匹配") from None
        return params["app_id"]

    @staticmethod
    def _biz(params: dict[str, str]) -> dict[str, object]:
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            raise Refusal("40002", "isv.invalid-parameter", "参数无效: biz_content 不是 JSON") from None
        if not isinstance(biz, dict):
            raise Refusal("40002", "isv.invalid-parameter", "参数无效: biz_content 不是 JSON 对象")
        return biz

    # ----------------------------------------------------------------------------------- methods

    def _trade_precreate(self, app_id: str, biz: dict[str, object], params: dict[str, str]) -> dict[str, object]:
        trade = self.book.open(app_id, biz, product_code="FACE_TO_FACE_PAYMENT",
                               notify_url=params.get("notify_url", ""), return_url="", now=self.clock())
        return {"out_trade_no": trade.out_trade_no, "qr_code": trade.qr_code}

    def _trade_query(self, app_id: str, biz: dict[str, object], params: dict[str, str]) -> dict[str, object]:
        trade = self.book.find(app_id, biz, self.clock())
        paid = trade.fen if trade.paid_at else 0
        node: dict[str, object] = {
            "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "trade_status": trade.status,
            "total_amount": yuan(trade.fen), "buyer_pay_amount": yuan(paid), "point_amount": "0.00",
            "invoice_amount": yuan(paid), "receipt_amount": yuan(paid)}
        if trade.paid_at:
            node.update(send_pay_date=shanghai(trade.paid_at), buyer_user_id=trade.buyer_id,
                        buyer_logon_id=trade.buyer_logon_id)
        return node

    def _trade_close(self, app_id: str, biz: dict[str, object], params: dict[str, str]) -> dict[str, object]:
        trade = self.book.find(app_id, biz, self.clock())
        self.book.close(trade, self.clock())
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def _trade_refund(self, app_id: str, biz: dict[str, object], params: dict[str, str]) -> dict[str, object]:
        trade = self.book.find(app_id, biz, self.clock())
        refund, moved = self.book.refund(trade, biz, self.clock())
        if moved:
            self._notify(trade, refund)
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "buyer_logon_id": trade.buyer_logon_id,
                "fund_change": "Y" if moved else "N", "refund_fee": yuan(trade.refunded_fen),
                "gmt_refund_pay": shanghai(refund.at), "buyer_user_id": trade.buyer_id}

    def _trade_fastpay_refund_query(self, app_id: str, biz: dict[str, object], params: dict[str, str]) -> dict[str, object]:
        trade = self.book.find(app_id, biz, self.clock())
        number = read_text(biz, "out_request_no", 64)
        node: dict[str, object] = {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no,
                                   "out_request_no": number}
        for refund in trade.refunds:
            if refund.out_request_no == number:
                node.update(refund_amount=yuan(refund.fen), total_amount=yuan(trade.fen),
                            refund_status="REFUND_SUCCESS", gmt_refund_pay=shanghai(refund.at))
        return node  # no refund_amount: no such refund

    def _data_dataservice_bill_downloadurl_query(self, app_id: str, biz: dict[str, object],
                                                 params: dict[str, str]) -> dict[str, object]:
        if biz.get("bill_type") != "trade":
            raise invalid("bill_type", f"{biz.get('bill_type')!r}: only trade is simulated")
        text = str(biz.get("bill_date", ""))
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise invalid("bill_date", f"{text!r}: expected a day as YYYY-MM-DD")
        now = self.clock()
        if day >= now.astimezone(SHANGHAI).date():
            raise Refusal("40004", "isp.bill_not_exist", f"账单不存在: {day} 的账单次日才生成")
        token = secrets.token_hex(12)
        self._bills = {t: v for t, v in self._bills.items() if v[1] >= now}  # expired addresses go
        self._bills[token] = (day, now + BILL_URL_LIFETIME)
        query = urlencode({"bizType": "trade", "userId": self.seller_id, "fileType": "csv.zip",
                           "bizDates": f"{day:%Y%m%d}", "downloadFileName": f"{self.seller_id}0156_{day:%Y%m%d}.csv.zip",
                           "fileId": f"%2Ftrade%2F{self.seller_id}%2F{day:%Y%m%d}.csv.zip", "token": token})
        return {"bill_download_url": f"{self.base_url}/downloadBillFile.resource?{query}"}

    def bill_file(self, token: str) -> bytes | None:
        """The zip behind a bill URL still valid by the clock, else None."""
        now = self.clock()
        with self._lock:
            day, until = self._bills.get(token, (None, now))
            if day is None or until < now:
                return None
            return bill_zip(list(self.book.trades.values()), day, self.seller_id, now)

    # ----------------------------------------------------------------------- the payer and notices

    def open_wap(self, params: dict[str, str]) -> Trade:
        """The trade behind a signed wap.pay request, as the phone browser opens it."""
        app_id = self._check_request(params)
        biz = self._biz(params)
        with self._lock:
            return self.book.open(app_id, biz, product_code="QUICK_WAP_WAY", notify_url=params.get("notify_url", ""),
                                  return_url=params.get("return_url", ""), now=self.clock())

    def pay(self, out_trade_no: str, app_id: str = "", *, token: str = "") -> Trade:
        """Act as the payer: the order becomes TRADE_SUCCESS and its notification is sent. KeyError, Refusal."""
        with self._lock:
            found = [t for t in self.book.trades.values()
                     if (t.token == token if token else t.out_trade_no == out_trade_no and app_id in ("", t.app_id))]
            if len(found) != 1:
                raise KeyError(f"no order {token or out_trade_no!r}" if not found else
                               f"{len(found)} apps have an order {out_trade_no!r}: name the app_id")
            self.book.pay(found[0], self.clock())
            self._notify(found[0])
            return found[0]

    def set_switches(self, **values: object) -> dict[str, bool]:
        for key, value in values.items():
            if key not in SWITCHES:
                raise ValueError(f"unknown switch {key!r} (expected some of {', '.join(SWITCHES)})")
            if not isinstance(value, bool):
                raise ValueError(f"switch {key}: expected true or false, got {value!r}")
        with self._lock:
            self.switches.update(values)  # type: ignore[arg-type]
            return dict(self.switches)

    def release(self) -> int:
        return self.notifier.release()

    def wait_delivered(self, n: int, timeout: float = 5.0) -> list[Delivery]:
        return self.notifier.wait_delivered(n, timeout)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.notifier.deliveries

    def orders(self) -> list[dict[str, object]]:
        with self._lock:
            self.book.expire(self.clock())
            return [t.as_json() for t in self.book.trades.values()]

    def _notify(self, trade: Trade, refund: Refund | None = None) -> None:
        if not trade.notify_url:
            return
        now = self.clock()
        params = {"notify_time": shanghai(now - timedelta(days=2) if self.switches["stale"] else now),
                  "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(17), "charset": "utf-8",
                  "version": "1.0", "app_id": trade.app_id, "auth_app_id": trade.app_id, "seller_id": self.seller_id,
                  "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "trade_status": trade.status,
                  "total_amount": yuan(trade.fen), "receipt_amount": yuan(trade.fen), "invoice_amount": yuan(trade.fen),
                  "buyer_pay_amount": yuan(trade.fen), "point_amount": "0.00", "subject": trade.subject,
                  "buyer_id": trade.buyer_id, "buyer_logon_id": trade.buyer_logon_id,
                  "gmt_create": shanghai(trade.created_at),
                  "fund_bill_list": json.dumps([{"amount": yuan(trade.fen), "fundChannel": "ALIPAYACCOUNT"}])}
        if trade.paid_at:
            params["gmt_payment"] = shanghai(trade.paid_at)
        if refund is not None:
            params.update(out_biz_no=refund.out_request_no, refund_fee=yuan(trade.refunded_fen),
                          gmt_refund=refund.at.astimezone(SHANGHAI).strftime(TIME_FORMAT + ".%f")[:-3])
        if trade.closed_at:
            params["gmt_close"] = shanghai(trade.closed_at)
        notice = Notice(trade.notify_url, self.signed_form(params, forged=self.switches["forge"]), params)
        self.notifier.send(notice, copies=2 if self.switches["duplicate"] else 1, hold=self.switches["delay"],
                           drop=self.switches["drop"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.alipay", description="A simulated Alipay gateway.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--merchant-dir", type=Path, required=True, help="where alipay.toml and the keys are written")
    parser.add_argument("--notify-url", default="http://127.0.0.1:8000/payments/alipay/notify",
                        help="the notify_url written into alipay.toml")
    parser.add_argument("--app-id", default="2021000000000001")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with AlipaySimulator(host=args.host, port=args.port) as sim:
        toml = generate_merchant(args.merchant_dir, notify_url=args.notify_url, gateway=sim.gateway_url,
                                 app_id=args.app_id)
        print(f"Alipay simulator at {sim.gateway_url}; merchant configuration {toml}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
