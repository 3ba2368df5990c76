"""The HTTP face of the simulated Alipay: routes, bounded bodies, form parsing, the phone cashier page.

Every route calls into :class:`simulators.alipay.AlipaySimulator` (the handler class gets it as ``sim``);
the routes and their bodies are documented there. Nothing here decides a trade's fate.
"""

from __future__ import annotations

import html
import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote_plus, urlsplit

from simulators.alipay_book import Refusal, shanghai, yuan

if TYPE_CHECKING:
    from simulators.alipay import AlipaySimulator

MAX_BODY = 64 * 1024
MAX_FIELDS = 200
WAP = "alipay.trade.wap.pay"


def form_params(*sources: str) -> dict[str, str]:
    """The parameters of a query string and a form body together; a repeated or undecodable one is refused."""
    params: dict[str, str] = {}
    for text in sources:
        for piece in filter(None, text.split("&")):
            raw_key, _, raw_value = piece.partition("=")
            try:
                key = unquote_plus(raw_key, encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise Refusal("40002", "isv.invalid-parameter", f"参数无效: 参数名 {raw_key[:40]!r} 不是 UTF-8") from None
            try:
                value = unquote_plus(raw_value, encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise Refusal("40002", "isv.invalid-parameter", f"参数无效: {key} 不是 UTF-8") from None
            if key in params:
                raise Refusal("40002", "isv.invalid-parameter", f"参数无效: {key} 出现两次")
            params[key] = value
            if len(params) > MAX_FIELDS:
                raise Refusal("40002", "isv.invalid-parameter", f"参数无效: 超过 {MAX_FIELDS} 个参数")
    return params


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f'</head><body style="font-family:sans-serif;max-width:28em;margin:2em auto">{body}</body></html>'
            ).encode("utf-8")


class GatewayHandler(BaseHTTPRequestHandler):
    sim: AlipaySimulator
    server_version = "AlipaySimulator/1.0"

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests and the demo read the records
        pass

    # ------------------------------------------------------------------------------------- routes

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/gateway.do":
            self._gateway(parts.query, b"")
        elif parts.path == "/downloadBillFile.resource":
            token = parse_qs(parts.query).get("token", [""])[0]
            archive = self.sim.bill_file(token)
            if archive is None:
                self._send(404, "the bill address is unknown or expired".encode(), "text/plain; charset=utf-8")
            else:
                self._send(200, archive, "application/zip")
        elif parts.path == "/_sim/orders":
            self._json(200, self.sim.orders())
        elif parts.path == "/_sim/notifications":
            self._json(200, [d.as_json() for d in self.sim.deliveries])
        else:
            self._json(404, {"error": f"no route {parts.path}"})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        body = self._body()
        if body is None:
            return
        if parts.path == "/gateway.do":
            self._gateway(parts.query, body)
        elif parts.path == "/cashier":
            self._cashier(body)
        elif parts.path.startswith("/_sim/"):
            self._control(parts.path, body)
        else:
            self._json(404, {"error": f"no route {parts.path}"})

    # ------------------------------------------------------------------------------------ gateway

    def _gateway(self, query: str, body: bytes) -> None:
        try:
            if not body.isascii():
                raise Refusal("40002", "isv.invalid-parameter", "参数无效: 请求体应为 URL 编码的表单")
            params = form_params(query, body.decode("ascii"))
        except Refusal as r:
            node = {"code": r.code, "msg": r.msg, "sub_code": r.sub_code, "sub_msg": r.sub_msg}
            self._send(200, self.sim.answer("error_response", node), "application/json;charset=utf-8")
            return
        if params.get("method") == WAP:
            self._cashier_page(params)
        else:
            self._send(200, self.sim.gateway(params), "application/json;charset=utf-8")

    def _cashier_page(self, params: dict[str, str]) -> None:
        try:
            trade = self.sim.open_wap(params)
        except Refusal as r:
            self._send(400, _page("支付宝 - 错误", f"<h1>{html.escape(r.sub_code)}</h1><p>{html.escape(r.sub_msg)}</p>"),
                       "text/html; charset=utf-8")
            return
        page = _page("支付宝 - 确认付款", (
            f"<h1>{html.escape(trade.subject)}</h1><p class=amount>￥{yuan(trade.fen)}</p>"
            f"<p>订单号 {html.escape(trade.out_trade_no)}</p>"
            f'<form method="post" action="/cashier"><input type="hidden" name="token" value="{trade.token}">'
            f'<button type="submit">确认付款</button></form>'))
        self._send(200, page, "text/html; charset=utf-8")

    def _cashier(self, body: bytes) -> None:
        token = parse_qs(body.decode("ascii", "replace")).get("token", [""])[0]
        try:
            trade = self.sim.pay("", token=token)
        except KeyError:
            self._send(404, _page("支付宝", "<p>订单不存在</p>"), "text/html; charset=utf-8")
            return
        except Refusal as r:
            self._send(409, _page("支付宝", f"<p>{html.escape(r.sub_msg)}</p>"), "text/html; charset=utf-8")
            return
        if not trade.return_url:
            self._send(200, _page("支付宝 - 支付成功", f"<h1>支付成功</h1><p>￥{yuan(trade.fen)}</p>"),
                       "text/html; charset=utf-8")
            return
        back = {"app_id": trade.app_id, "auth_app_id": trade.app_id, "charset": "utf-8",
                "method": "alipay.trade.wap.pay.return", "out_trade_no": trade.out_trade_no,
                "seller_id": self.sim.seller_id, "timestamp": shanghai(self.sim.clock()),
                "total_amount": yuan(trade.fen), "trade_no": trade.trade_no, "version": "1.0"}
        joiner = "&" if "?" in trade.return_url else "?"
        self.send_response(302)
        self.send_header("Location", trade.return_url + joiner + self.sim.signed_form(back).decode("ascii"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    # ------------------------------------------------------------------------------------ control

    def _control(self, path: str, body: bytes) -> None:
        if path == "/_sim/release":
            self._json(200, {"released": self.sim.release()})
            return
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._json(400, {"error": "the body must be a JSON object"})
            return
        if path == "/_sim/switches":
            try:
                self._json(200, self.sim.set_switches(**data))
            except ValueError as exc:
                self._json(400, {"error": str(exc)})
        elif path == "/_sim/pay":
            if not isinstance(data.get("out_trade_no"), str) or not isinstance(data.get("app_id", ""), str):
                self._json(400, {"error": "out_trade_no: expected a string"})
                return
            try:
                self._json(200, self.sim.pay(data["out_trade_no"], data.get("app_id", "")).as_json())
            except KeyError as exc:
                self._json(404, {"error": str(exc.args[0])})
            except Refusal as r:
                self._json(409, {"error": r.sub_code, "message": r.sub_msg})
        elif path == "/_sim/apps":
            try:
                self.sim.register_app(str(data.get("app_id", "")), str(data.get("app_public_key", "")))
            except (ValueError, TypeError) as exc:
                self._json(400, {"error": f"app_id or app_public_key: {exc}"})
                return
            self._json(200, {"app_id": data["app_id"], "alipay_public_key": self.sim.alipay_public_key_pem,
                             "seller_id": self.sim.seller_id})
        else:
            self._json(404, {"error": f"no route {path}"})

    # ------------------------------------------------------------------------------------ plumbing

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit():
            self._json(400, {"error": f"Content-Length {length!r} is not a number"})
            return None
        if int(length) > MAX_BODY:
            self.close_connection = True
            self._json(413, {"error": f"the body is {length} bytes, over {MAX_BODY}"})
            return None
        return self.rfile.read(int(length))

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
