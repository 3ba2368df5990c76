"""The lane edge trusts no packet: hostile bodies at a running agent's camera ingress, over HTTP.

Whatever is posted, the answer is never a 5xx and never carries exception text, no gate opens for a
push that is not the camera's own or not a plate it may decide, and oversized reads leave no trace in
the live store."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.vz.push import HEARTBEAT_PATH, PLATE_RESULT_PATH
from parking.agent.process import Agent

pytestmark = [pytest.mark.redis, pytest.mark.database]

SERIAL = "VZ-HX-EAST-IN"


@pytest.fixture
def running(runtime, village):  # type: ignore[no-untyped-def]
    with Agent(runtime, "127.0.0.1", 0) as agent:
        yield runtime, agent


def post(agent: Agent, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
    host, port = agent.ingress.server_address
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": content_type})
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def keyed(agent: Agent, path: str) -> str:
    return path + "?" + urlsplit(agent.camera_urls(SERIAL)["push_url"]).query


def plate_push(license: object, **result: object) -> bytes:
    doc = {"AlarmInfoPlate": {"serialno": SERIAL, "result": {"PlateResult": {"license": license, "confidence": 96, **result}}}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**60), max_value=10**60) | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def assert_sane(status: int, body: bytes) -> None:
    assert status < 500, body[:300]
    assert b"Traceback" not in body and b"Error:" not in body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(license=json_values, fields=st.dictionaries(st.sampled_from(["colorType", "plateid", "confidence", "isoffline", "is_fake_plate",
                                                                       "timeStamp", "type"]), json_values, max_size=4))
def test_any_plate_result_body_is_answered_without_a_5xx_or_an_exception_text(running, license, fields):
    runtime, agent = running
    status, body = post(agent, keyed(agent, PLATE_RESULT_PATH), plate_push(license, **fields))
    assert_sane(status, body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300))
def test_garbage_bytes_at_either_path_never_give_a_5xx(running, body):
    runtime, agent = running
    for path in (PLATE_RESULT_PATH, HEARTBEAT_PATH):
        assert_sane(*post(agent, keyed(agent, path), body, "multipart/form-data; boundary=x" if path == HEARTBEAT_PATH else "application/json"))


@pytest.mark.parametrize("body", [
    b'{"AlarmInfoPlate": {"serialno": "VZ-HX-EAST-IN", "result": {"PlateResult": {"license": "\\u7ca4B12345", "plateid": ' + b"9" * 5000 + b"}}}}",
    plate_push("\ud800\udfff\ud800"),
    plate_push("粤B" + "1" * 1_000_000),
])
def test_huge_numbers_lone_surrogates_and_megabyte_plates_are_400s_that_leave_nothing_behind(running, body):
    runtime, agent = running
    before = runtime.store.open_plates(1)
    status, answer = post(agent, keyed(agent, PLATE_RESULT_PATH), body)
    assert status == 400
    assert json.loads(answer)["error"].startswith("plate result: ") or "AlarmInfoPlate" in json.loads(answer)["error"]
    assert runtime.store.open_plates(1) == before


def test_a_forged_push_naming_a_known_serial_does_not_open_the_gate(running):
    runtime, agent = running
    status, answer = post(agent, PLATE_RESULT_PATH, plate_push("粤B12345"))  # no key: not the camera's own push
    assert (status, json.loads(answer)) == (403, {"error": "wrong or missing key"})
    assert "粤B12345" not in runtime.store.open_plates(1)


def test_a_burst_of_oversized_reads_leaves_memory_storage_and_logs_bounded(running, caplog):
    from parking.worker import Worker

    runtime, agent = running
    sqlite = runtime.settings.instance_path / "parking.sqlite"
    Worker(runtime).drain()
    redis_before = int(runtime.redis.info("memory")["used_memory"])
    sql_before = sqlite.stat().st_size if sqlite.exists() else 0
    caplog.clear()
    for n in range(20):
        huge = plate_push("粤B" + "%05d" % n + "X" * (1024 * 1024))  # a 1 MiB "plate"
        assert post(agent, keyed(agent, PLATE_RESULT_PATH), huge)[0] == 400
        longest = plate_push("粤" + "Z" * 39)  # as long as a text may be: decided, rejected, journaled short
        assert post(agent, keyed(agent, PLATE_RESULT_PATH), longest)[0] == 200
    Worker(runtime).drain()
    logged = sum(len(r.getMessage()) for r in caplog.records)
    assert int(runtime.redis.info("memory")["used_memory"]) - redis_before < 1024 * 1024
    assert (sqlite.stat().st_size if sqlite.exists() else 0) - sql_before < 1024 * 1024
    assert logged < 64 * 1024
