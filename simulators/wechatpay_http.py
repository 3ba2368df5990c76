"""The HTTP plumbing of the WeChat Pay simulator: one threaded server, bounded request bodies, JSON and HTML
answers. What each request means is decided by :meth:`simulators.wechatpay.WeChatPaySimulator.handle`.

A body over 64 KiB is refused with 413 before it is read, a chunked body with 411, and a body that is not a
JSON object with 400 and a message saying so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from simulators.wechatpay_platform import PlatformError

MAX_BODY = 64 * 1024

@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    signed: bool = True
    serial: str = ""  # Wechatpay-Serial; the platform certificate's when empty


Respond = Callable[[str, str, Mapping[str, str], bytes], tuple[Answer, dict[str, str]]]


def json_answer(status: int, data: object, serial: str = "") -> Answer:
    return Answer(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), serial=serial)


def json_body(body: bytes) -> dict[str, object]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlatformError(400, "PARAM_ERROR", f"请求体不是 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PlatformError(400, "PARAM_ERROR", "请求体应为 JSON 对象")
    return data


def page(title: str, content: str) -> Answer:
    text = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width"><title>{title}</title><body><h1>{title}</h1>{content}</body></html>')
    return Answer(200, text.encode("utf-8"), content_type="text/html; charset=utf-8")


def make_server(host: str, port: int, respond: Respond) -> ThreadingHTTPServer:
    """A server whose every GET and POST is answered by ``respond(method, target, headers, body)``, which gives
    the answer and the signature headers to send with it."""

    class Handler(_Handler):
        pass

    Handler.respond = staticmethod(respond)  # type: ignore[assignment]
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WeChatPaySim/1.0"
    respond: Respond

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length_text = self.headers.get("Content-Length") or "0"
        if self.headers.get("Transfer-Encoding"):
            return self._refuse(411, "Content-Length is required")
        if not length_text.isdigit():
            return self._refuse(400, f"Content-Length {length_text!r} is not a number")
        if int(length_text) > MAX_BODY:
            return self._refuse(413, f"请求体超过 {MAX_BODY} 字节")
        body = self.rfile.read(int(length_text)) if int(length_text) else b""
        answer, signature = self.respond(method, self.path, {k: v for k, v in self.headers.items()}, body)
        self._send(answer, signature)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._send(json_answer(status, {"code": "PARAM_ERROR", "message": message}), {})

    def _send(self, answer: Answer, headers: dict[str, str]) -> None:
        self.send_response(answer.status)
        if answer.body or answer.status != 204:
            self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        pass
