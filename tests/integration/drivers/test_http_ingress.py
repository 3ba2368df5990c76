import http.client
import json
import logging

import pytest

from drivers.http_ingress import PushIngress, PushReply, PushRequest


def echo(req: PushRequest) -> PushReply:
    return PushReply(body=json.dumps({"path": req.path, "len": len(req.body), "query": req.query,
                                      "type": req.headers.get("content-type")}).encode())


def boom(req: PushRequest) -> PushReply:
    raise RuntimeError("decoder exploded")


@pytest.fixture
def ingress():
    server = PushIngress("127.0.0.1", 0, {"/echo": echo, "/boom": boom}, max_body_bytes=1000).start()
    yield server
    server.shutdown()


def connect(ingress):
    host, port = ingress.server_address
    return http.client.HTTPConnection(host, port, timeout=5)


def test_port_zero_reports_the_real_port_in_the_url(ingress):
    host, port = ingress.server_address
    assert port > 0 and ingress.url == f"http://127.0.0.1:{port}"


def test_routes_a_post_and_keeps_the_connection_alive(ingress):
    conn = connect(ingress)
    for n in (3, 5):
        conn.request("POST", "/echo?x=1", body=b"a" * n, headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        assert reply.status == 200
        assert reply.getheader("Content-Length") is not None
        assert json.loads(reply.read()) == {"path": "/echo", "len": n, "query": "x=1", "type": "application/json"}
    conn.close()


def test_unknown_path_is_404_with_a_json_error(ingress):
    conn = connect(ingress)
    conn.request("POST", "/nope", body=b"{}")
    reply = conn.getresponse()
    assert (reply.status, json.loads(reply.read())) == (404, {"error": "no handler for path '/nope'"})


def test_oversize_body_is_413_naming_the_limit(ingress):
    conn = connect(ingress)
    conn.request("POST", "/echo", body=b"x" * 1001)
    reply = conn.getresponse()
    assert reply.status == 413
    assert json.loads(reply.read()) == {"error": "request body exceeds the limit of 1000 bytes"}


def test_failing_handler_is_500_logged_and_the_server_keeps_serving(ingress, caplog):
    conn = connect(ingress)
    with caplog.at_level(logging.ERROR, logger="drivers.http_ingress"):
        conn.request("POST", "/boom", body=b"{}")
        reply = conn.getresponse()
        assert reply.status == 500
        assert json.loads(reply.read()) == {"error": "internal error"}
    assert "handler for POST /boom" in caplog.text and "RuntimeError: decoder exploded" in caplog.text
    conn.request("POST", "/echo", body=b"ok")
    assert conn.getresponse().status == 200


def test_chunked_body_is_read(ingress):
    conn = connect(ingress)
    conn.request("POST", "/echo", body=iter([b"abc", b"de"]), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    assert json.loads(conn.getresponse().read())["len"] == 5


def test_shutdown_closes_idle_keep_alive_connections():
    server = PushIngress("127.0.0.1", 0, {"/echo": echo}).start()
    conn = connect(server)
    conn.request("POST", "/echo", body=b"")
    conn.getresponse().read()
    server.shutdown()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("POST", "/echo", body=b"")
        conn.getresponse()
