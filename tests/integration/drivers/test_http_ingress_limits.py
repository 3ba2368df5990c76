"""The camera ingress's limits, over real loopback sockets: every body, header and connection is bounded,
malformed HTTP is refused, no error shows exception text, and the server keeps serving afterwards."""

import http.client
import io
import json
import logging
import socket
import time

import pytest

from drivers.http_ingress import FRAMING_ALLOWANCE, PushIngress, PushReply, PushRequest

CAP = 1000


def echo(req: PushRequest) -> PushReply:
    return PushReply(body=json.dumps({"len": len(req.body), "method": req.method,
                                      "type": req.headers.get("Content-Type")}).encode())


def boom(req: PushRequest) -> PushReply:
    raise ValueError(f"cannot decode {req.body.decode()!r}")


def not_a_reply(req: PushRequest) -> PushReply:
    return "ok"  # type: ignore[return-value]


class Clock:
    """time.time, moved forward by the test."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ingress(clock):
    server = PushIngress("127.0.0.1", 0, {"/echo": echo, "/boom": boom, "/bad": not_a_reply},
                         max_body_bytes=CAP, max_connections=3, idle_timeout=60, max_header_bytes=4096,
                         clock=clock).start()
    yield server
    server.shutdown()


def open_socket(ingress) -> socket.socket:
    return socket.create_connection(ingress.server_address, timeout=5)


class Answers:
    """Answers read one after another from one socket, through one buffer (so none is lost between them)."""

    def __init__(self, sock: socket.socket) -> None:
        self.file = _Unclosed(socket.SocketIO(sock, "rb"))

    def makefile(self, mode: str) -> io.BufferedReader:
        return self.file


class _Unclosed(io.BufferedReader):
    def close(self) -> None:  # HTTPResponse closes its file after each answer
        pass


def read_reply(sock: "socket.socket | Answers") -> tuple[int, dict, http.client.HTTPResponse]:
    reply = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
    reply.begin()
    body = reply.read()
    return reply.status, json.loads(body) if body else {}, reply


def exchange(ingress, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes on a new connection: the status, the JSON answer and what follows it (b"": closed)."""
    with open_socket(ingress) as sock:
        sock.sendall(data)
        status, body, _ = read_reply(sock)
        return status, body, sock.recv(1024)


def post(ingress, body: bytes = b"{}", path: str = "/echo") -> tuple[int, dict]:
    conn = http.client.HTTPConnection(*ingress.server_address, timeout=5)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


def closed_by_server(sock: socket.socket) -> bool:
    """Half-close our side and wait for the server's end of file: then it has let the connection go."""
    sock.shutdown(socket.SHUT_WR)
    return sock.recv(1024) == b""


def chunked(*chunks: bytes, path: str = "/echo") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: camera\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    return head + b"".join(chunks)


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST = b"0\r\n\r\n"
TOO_LARGE = {"error": "request body exceeds the limit of 1000 bytes"}
MALFORMED = {"error": "malformed HTTP request"}


# ------------------------------------------------------------------------------------ Content-Length


def test_a_body_of_exactly_the_limit_is_served(ingress):
    assert post(ingress, b"x" * CAP) == (200, {"len": CAP, "method": "POST", "type": "application/json"})


def test_a_content_length_over_the_limit_is_413_after_the_body_is_dropped_and_the_connection_closed(ingress):
    request = b"POST /echo HTTP/1.1\r\nContent-Length: 1001\r\n\r\n" + b"x" * 1001
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")
    assert post(ingress)[0] == 200


def test_a_huge_content_length_is_413_at_once_without_waiting_for_the_body(ingress):
    request = b"POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")


def test_an_oversized_body_expecting_100_continue_is_413_without_a_continue(ingress):
    request = b"POST /echo HTTP/1.1\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")


@pytest.mark.parametrize("length", [b"-1", b"12abc", b"0x10", b"1, 2"])
def test_a_content_length_that_is_not_a_number_is_400(ingress, length):
    request = b"POST /echo HTTP/1.1\r\nContent-Length: " + length + b"\r\n\r\n{}"
    assert exchange(ingress, request) == (400, MALFORMED, b"")
    assert post(ingress)[0] == 200


def test_without_a_length_a_request_has_no_body_and_what_follows_is_the_next_request(ingress):
    with open_socket(ingress) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\n\r\n" + b"x" * 2000 + b"\r\n\r\n")
        answers = Answers(sock)
        assert read_reply(answers)[:2] == (200, {"len": 0, "method": "POST", "type": None})
        assert read_reply(answers)[:2] == (400, MALFORMED)


# ----------------------------------------------------------------------------------------- chunked


def test_a_chunked_body_of_exactly_the_limit_is_served_its_framing_not_counted(ingress):
    with open_socket(ingress) as sock:
        sock.sendall(chunked(*(chunk(b"x" * 100) for _ in range(10)), LAST))
        assert read_reply(sock)[:2] == (200, {"len": CAP, "method": "POST", "type": None})


def test_a_chunked_body_over_the_limit_is_413(ingress):
    request = chunked(chunk(b"x" * 600), chunk(b"x" * 401), LAST)
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")
    assert post(ingress)[0] == 200


def test_a_long_chunked_body_is_read_to_its_end_and_dropped_so_the_sender_reads_its_413(ingress):
    request = chunked(*(chunk(b"x" * 8000) for _ in range(200)), LAST)  # 1.6 MB: more than socket buffers hold
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")


def test_a_long_content_length_body_is_read_to_its_end_and_dropped_so_the_sender_reads_its_413(ingress):
    request = b"POST /echo HTTP/1.1\r\nContent-Length: 1600000\r\n\r\n" + b"x" * 1_600_000
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")


def test_a_chunk_announced_larger_than_the_limit_is_413_once_its_data_passes_the_limit(ingress):
    request = chunked(b"ffffffffffffffffffffffff\r\n" + b"x" * 1001)
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")


def test_chunk_framing_alone_cannot_grow_a_body_past_the_limit(ingress):
    # Empty chunk-size lines until the framing passes its allowance by a few bytes: 413 at once, never an end
    request = chunked(chunk(b"x"), b"\r\n" * (FRAMING_ALLOWANCE // 2 + 1))
    assert exchange(ingress, request) == (413, TOO_LARGE, b"")


@pytest.mark.parametrize("size_line", [b"-5", b"-0", b"zz", b"+5", b"5 5", b" "])
def test_a_negative_or_garbage_chunk_size_is_400_and_the_server_keeps_serving(ingress, size_line):
    request = chunked(size_line + b"\r\nhello\r\n", LAST)
    assert exchange(ingress, request) == (400, MALFORMED, b"")
    assert post(ingress)[0] == 200


def test_a_transfer_coding_other_than_chunked_is_501(ingress):
    request = b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"
    assert exchange(ingress, request) == (501, {"error": "transfer coding not supported; send Content-Length or chunked"}, b"")


# ------------------------------------------------------------------------------ headers and garbage


def test_headers_over_the_limit_are_431(ingress):
    request = b"POST /echo HTTP/1.1\r\nX-Padding: " + b"a" * 5000 + b"\r\nContent-Length: 2\r\n\r\n{}"
    assert exchange(ingress, request) == (431, {"error": "request headers exceed the limit of 4096 bytes"}, b"")
    assert post(ingress)[0] == 200


@pytest.mark.parametrize("garbage", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello on the plain port
    b"\x00\xff\xfe garbage \x80\x81\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nno colon here\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nContent-Length: 2\nX: bare LF\r\n\r\n{}",
])
def test_bytes_that_are_not_http_get_400_and_the_server_survives(ingress, garbage):
    assert exchange(ingress, garbage) == (400, MALFORMED, b"")
    assert post(ingress)[0] == 200


def test_a_client_that_sends_garbage_and_hangs_up_leaves_the_server_serving(ingress):
    with open_socket(ingress) as sock:
        sock.sendall(b"\x00\x01\x02\x03 no end of headers")
    assert post(ingress)[0] == 200


# ------------------------------------------------------------------------------------- connections


def test_a_connection_over_the_cap_is_answered_503_and_closed_and_the_others_keep_being_served(ingress):
    held = [open_socket(ingress) for _ in range(3)]
    try:
        for sock in held:
            sock.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
            assert read_reply(sock)[0] == 200
        with open_socket(ingress) as extra:
            status, body, reply = read_reply(extra)
            assert (status, body, reply.getheader("Connection")) == (503, {"error": "too many connections"}, "close")
            assert extra.recv(1024) == b""
        held[0].sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        assert read_reply(held[0])[0] == 200
        assert closed_by_server(held.pop())
        assert post(ingress)[0] == 200
    finally:
        for sock in held:
            sock.close()


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(ingress, clock):
    with open_socket(ingress) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        assert read_reply(sock)[0] == 200
        clock.ahead = 61.0
        assert sock.recv(1024) == b""  # closed at the I/O loop's next turn, within its one-second tick
    clock.ahead = 0.0
    assert post(ingress)[0] == 200


def test_answers_leave_without_nagle_so_a_reused_connection_never_waits_for_a_delayed_ack(ingress):
    conn = http.client.HTTPConnection(*ingress.server_address, timeout=5)
    conn.request("POST", "/echo", body=b"{}")
    conn.getresponse().read()
    channels = list(ingress._server.active_channels.values())
    assert [ch.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for ch in channels] == [1]
    conn.close()


# ------------------------------------------------------------------------------------------ errors


def test_a_handler_that_raises_is_500_without_its_exception_text_and_is_logged(ingress, caplog):
    with caplog.at_level(logging.ERROR, logger="drivers.http_ingress"):
        assert post(ingress, b'{"plate": "secret-body"}', "/boom") == (500, {"error": "internal error"})
    assert "handler for POST /boom from 127.0.0.1 failed (24 body bytes)" in caplog.text
    assert "Traceback" in caplog.text
    assert post(ingress)[0] == 200


def test_a_handler_that_returns_something_else_than_a_reply_is_500(ingress):
    assert post(ingress, path="/bad") == (500, {"error": "internal error"})


def test_a_long_unknown_path_is_quoted_shortened_in_its_404(ingress):
    status, body = post(ingress, path="/" + "a" * 500)
    assert (status, body) == (404, {"error": "no handler for path '/" + "a" * 119 + "…'"})


def test_a_method_other_than_get_post_or_put_is_405(ingress):
    assert exchange(ingress, b"DELETE /echo HTTP/1.1\r\nConnection: close\r\n\r\n")[:2] == (
        405, {"error": "method not allowed; expected one of GET, POST, PUT"})


# --------------------------------------------------------------------------------- camera quirks


def test_http_1_0_without_content_type_is_served_then_closed(ingress):
    status, body, after = exchange(ingress, b"POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}")
    assert (status, body, after) == (200, {"len": 2, "method": "POST", "type": None}, b"")


def test_http_1_0_asking_for_keep_alive_keeps_its_connection(ingress):
    with open_socket(ingress) as sock:
        for _ in range(2):
            sock.sendall(b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}")
            status, body, reply = read_reply(sock)
            assert (status, body["len"], reply.getheader("Connection")) == (200, 2, "Keep-Alive")


def test_a_route_mounted_after_start_is_served(ingress):
    ingress.routes["/late"] = lambda req: PushReply(body=b'{"late": true}')
    assert post(ingress, path="/late") == (200, {"late": True})


def test_constructor_rejects_limits_that_cannot_work():
    with pytest.raises(ValueError, match="max_connections 0: expected at least 1"):
        PushIngress("127.0.0.1", 0, {}, max_connections=0)
