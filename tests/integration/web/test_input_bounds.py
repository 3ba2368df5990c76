"""Every input is bounded (issue 8, item 4, the web's part): ids in URLs, query arguments, form fields and
JSON bodies are checked before anything parses, stores, logs or renders them.

Out-of-range values get 400/422 naming the field (the API's JSON error shape, or a console page or
message saying what was wrong), never a 5xx, and no answer carries exception text. The hypothesis tests
take the routes from ``app.url_map`` (every route under ``/api/`` and ``/console/``), so a route added
later is fuzzed without touching this file.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import Rule

from parking.models import AuditEvent
from parking.runtime import Runtime
from parking.seed import DemoVillage
from tests.conftest import FIXED_NOW, TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

FUZZ = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ROUTES_PER_RUN = 40  # routes one example draws inputs for (see ``in_batches``)

TEN_TO_THE_5000 = "1" + "0" * 5000
EXCEPTION_TEXT = re.compile(r"Traceback \(most recent call last\)|\b\w*(?:Error|Exception|Warning)\b[:(]|File \"[^\"]+\", line \d+")
INTERNAL = "internal error; the server log has the details"
FIELD_NAMES = ["page", "per_page", "lot_id", "lane_id", "status", "plate", "at", "lot", "thumb", "lang", "next",
               "action", "reason", "reason_detail", "text", "username", "password", "csrf_token"]
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _error(code: int, status: str, message: str, field: str | None) -> dict[str, object]:
    return {"error": {"code": code, "status": status, "message": message, "field": field}}


def assert_no_crash(response: Any, what: str) -> None:
    """No 5xx (but a view's own 503, which says what is unavailable), and no exception text in the body."""
    body = response.get_data().decode("utf-8", "replace")
    if response.status_code == 503 and response.is_json:
        assert response.get_json()["error"]["message"] != INTERNAL, what
    else:
        assert response.status_code < 500, f"{what}: {response.status_code} {body[:300]}"
    assert not EXCEPTION_TEXT.search(body), f"{what}: exception text in {body[:300]}"


def assert_api_error_shape(response: Any, what: str) -> None:
    if response.status_code < 400:
        return
    assert response.is_json, f"{what}: {response.status_code} is not JSON"
    error = response.get_json()["error"]
    assert set(error) == {"code", "status", "message", "field"}, what
    assert error["code"] == response.status_code and error["message"], what
    assert error["field"] is None or isinstance(error["field"], str), what


# -- hostile inputs ----------------------------------------------------------------------------------------

id_texts = st.one_of(
    st.sampled_from(["1", "2", "0", "00001", "2147483647", "2147483648", "9" * 30, TEN_TO_THE_5000]),
    st.integers(min_value=0, max_value=10**12).map(str),
)
raw_values = st.one_of(
    st.sampled_from([
        TEN_TO_THE_5000, "-1", "0", "1", "2", "200", "201", "2147483648", "9" * 40, "1e3", " 7 ", "١٢", "0x10", "1_000",
        "open", "closed", "bogus", "en", "zh_CN", "粤B12345", " 粤b12345 ", "_无_", "x" * 5000,
        "2026-11-25T18:00:00+08:00", "2026-11-25T18:00:00 08:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
        "/console/", "/\\evil.example", "//evil.example", "javascript:alert(1)", "\u202e", "\ufeff", "NaN",
    ]).map(lambda s: s.encode("utf-8")),
    st.sampled_from([b"\xed\xa0\x80", b"\xed\xb0\x80x", b"\x00", b"a\x00b", b"\xff\xfe", b"\r\n", b"\x1b[31m"]),
    st.integers(min_value=-(10**40), max_value=10**40).map(lambda n: str(n).encode()),
    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=20),
)
arg_names = st.one_of(st.sampled_from(FIELD_NAMES).map(str.encode), st.sampled_from([b"_scheme", b"_external", b"endpoint", b"\xed\xa0\x80", b"x" * 100]), st.binary(max_size=8))
query_strings = st.lists(st.tuples(arg_names, raw_values), max_size=4).map(
    lambda pairs: "&".join(f"{quote_from_bytes(k, safe='')}={quote_from_bytes(v, safe='')}" for k, v in pairs)
)

surrogates = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\ud83d"])
json_text = st.one_of(st.text(max_size=12), surrogates, st.sampled_from(["open", "close", "show_text", "救护车", "x" * 300, "\x00"]))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                         st.floats(allow_nan=True, allow_infinity=True), json_text)
json_keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6), surrogates)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_keys, inner, max_size=3), max_leaves=8)
json_bodies = st.one_of(
    st.dictionaries(json_keys, json_values, max_size=4).map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from([
        '{"action": "open", "reason": "\\ud800"}', '{"action": ' + TEN_TO_THE_5000 + "}", '{"action": 1e999}',
        '{"action": NaN}', "[" * 20000, '{"a": ' * 100 + "1" + "}" * 100, '{"action": "open"', "", "null",
        '{"action": "show_text", "text": "\\u0000"}', '{"\\ud800": 1}',
    ]),
).map(lambda text: text.encode("utf-8", "surrogatepass"))
form_bodies = st.dictionaries(st.sampled_from(FIELD_NAMES), st.one_of(st.text(max_size=30), st.sampled_from(["\x00", "x" * 5000, "open", "visitor"])), max_size=4)


def fuzzed_rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every (route, method) under /api/ and /console/: what the hypothesis tests visit in each example."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/console/")):
            found.extend((rule, method) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    return sorted(found, key=lambda pair: (pair[0].rule, pair[1]))


def url_for_rule(rule: Rule, draw: Any) -> str:
    def variable(match: re.Match[str]) -> str:
        if match.group(1) == "int":
            return draw(id_texts)
        return quote_from_bytes(draw(raw_values) or b"x", safe="")
    return VARIABLE.sub(variable, rule.rule)


@pytest.fixture
def signed_in(app: Flask, client: FlaskClient, login) -> Iterator[FlaskClient]:  # type: ignore[no-untyped-def]
    """An administrator (every role's pages) whose forms are taken without their CSRF token, so that the
    hostile fields reach the views."""
    login("admin")
    app.config["WTF_CSRF_ENABLED"] = False
    yield client


def test_the_fuzzed_routes_are_every_api_and_console_route(app: Flask) -> None:
    visited = {(rule.rule, method) for rule, method in fuzzed_rules(app)}
    assert {("/api/v1/sessions", "GET"), ("/api/v1/lanes/<int:lane_id>/commands", "POST"), ("/console/sessions", "GET"),
            ("/console/lanes/<int:lane_id>/gate", "POST"), ("/api/v1/lots/<int:lot_id>/fee", "GET")} <= visited
    assert len(visited) >= 20


def in_batches(rules: list[tuple[Rule, str]]) -> list[list[tuple[Rule, str]]]:
    """The routes in batches of ``ROUTES_PER_RUN``, each fuzzed by a run of its own: one example drawing
    inputs for every route at once would outgrow what Hypothesis lets one example draw."""
    return [rules[i:i + ROUTES_PER_RUN] for i in range(0, len(rules), ROUTES_PER_RUN)]


def hostile_queries(client: FlaskClient, batch: list[tuple[Rule, str]]) -> Callable[[], None]:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        for rule, _method in batch:
            url = url_for_rule(rule, data.draw)
            query = data.draw(query_strings)
            response = client.get(url, query_string=query)
            assert_no_crash(response, f"GET {url}?{query[:200]}")
            if url.startswith("/api/"):
                assert_api_error_shape(response, f"GET {url}?{query[:200]}")

    return fuzz


def hostile_bodies(client: FlaskClient, batch: list[tuple[Rule, str]]) -> Callable[[], None]:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        for rule, method in batch:
            url = url_for_rule(rule, data.draw)
            query = data.draw(query_strings)
            if data.draw(st.booleans()):
                kwargs: dict[str, Any] = {"data": data.draw(json_bodies), "content_type": "application/json"}
            else:
                kwargs = {"data": data.draw(form_bodies)}
            response = client.open(url, method=method, query_string=query, **kwargs)
            assert_no_crash(response, f"{method} {url} {str(kwargs['data'])[:200]}")
            if url.startswith("/api/"):
                assert_api_error_shape(response, f"{method} {url} {str(kwargs['data'])[:200]}")

    return fuzz


def test_hostile_query_strings_and_ids_never_crash(signed_in: FlaskClient, app: Flask) -> None:
    for batch in in_batches([(rule, method) for rule, method in fuzzed_rules(app) if method == "GET"]):
        hostile_queries(signed_in, batch)()


def test_hostile_bodies_never_crash(signed_in: FlaskClient, app: Flask) -> None:
    for batch in in_batches(fuzzed_rules(app)):
        hostile_bodies(signed_in, batch)()


@FUZZ
@given(query=query_strings)
def test_hostile_input_from_someone_not_signed_in_never_crashes(client: FlaskClient, query: str) -> None:
    for url in ("/api/v1/sessions", "/api/v1/lots/1/fee", "/console/sessions", "/auth/login", "/"):
        assert_no_crash(client.get(url, query_string=query), f"GET {url}?{query[:200]}")


# -- paging -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "field", "message"), [
    (f"page={TEN_TO_THE_5000}", "page", "page: longer than 2048 characters"),
    ("page=" + "9" * 2000, "page", "page: Must be greater than or equal to 1 and less than or equal to 100000."),
    ("page=100001", "page", "page: Must be greater than or equal to 1 and less than or equal to 100000."),
    ("page=0", "page", "page: Must be greater than or equal to 1 and less than or equal to 100000."),
    ("page=-1", "page", "page: Must be greater than or equal to 1 and less than or equal to 100000."),
    ("page=1.5", "page", "page: Not a valid integer."),
    ("page=%D9%A1", "page", "page: Not a valid integer."),
    ("per_page=201", "per_page", "per_page: Must be greater than or equal to 1 and less than or equal to 200."),
    ("per_page=99999999999999999999", "per_page", "per_page: Must be greater than or equal to 1 and less than or equal to 200."),
    ("lot_id=2147483648", "lot_id", "lot_id: Must be greater than or equal to 1 and less than or equal to 2147483647."),
    ("lot_id=-3", "lot_id", "lot_id: Must be greater than or equal to 1 and less than or equal to 2147483647."),
    ("status=%00", "status", "status: contains U+0000, a control character or lone surrogate, which no field may hold"),
])
def test_api_paging_out_of_range_is_422_naming_the_field(signed_in: FlaskClient, query: str, field: str, message: str) -> None:
    response = signed_in.get(f"/api/v1/sessions?{query}")
    assert response.status_code == 422
    assert response.get_json() == _error(422, "Unprocessable Entity", message, field)


def test_api_page_past_the_end_is_empty_with_the_right_total(signed_in: FlaskClient, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B70001", "粤B70002", "粤B70003")
    body = signed_in.get("/api/v1/sessions?per_page=2&page=100000").get_json()
    assert (body["items"], body["page"], body["per_page"], body["total"], body["pages"]) == ([], 100000, 2, 3, 2)


def test_console_page_past_the_end_shows_the_last_page_and_says_so(signed_in: FlaskClient, admit) -> None:  # type: ignore[no-untyped-def]
    admit(*[f"粤B7{i:04d}" for i in range(31)])
    for page in ("3", "100000", "9" * 40, TEN_TO_THE_5000[:2000]):
        response = signed_in.get(f"/console/sessions?page={page}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "第 2 / 2 页" in html and "共 31 条记录" in html
        assert re.findall(r'<td class="plate">([^<]+)</td>', html) == ["粤B70000"]
        assert "页码无效或超出范围，显示第 2 页。" in html


@pytest.mark.parametrize("page", ["0", "-1", "abc", "%D9%A1", "1.0"])
def test_console_page_that_is_not_a_page_number_shows_the_first_page_and_says_so(signed_in: FlaskClient, admit, page: str) -> None:  # type: ignore[no-untyped-def]
    admit("粤B71001")
    response = signed_in.get(f"/console/sessions?page={page}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<td class="plate">粤B71001</td>' in html
    assert "页码无效或超出范围，显示第 1 页。" in html


def test_console_query_with_a_control_character_is_a_400_page_naming_it(signed_in: FlaskClient) -> None:
    response = signed_in.get("/console/sessions?status=%00")
    assert response.status_code == 400
    assert "参数“status”的值格式不正确或超出范围。" in response.get_data(as_text=True)


def test_console_query_value_of_thousands_of_digits_is_a_400_page_naming_it(signed_in: FlaskClient) -> None:
    response = signed_in.get(f"/console/sessions?lot={TEN_TO_THE_5000}")
    assert response.status_code == 400
    assert "参数“lot”的值格式不正确或超出范围。" in response.get_data(as_text=True)


# -- ids in URLs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lot", ["0", "2147483648", "9" * 30, TEN_TO_THE_5000])
def test_api_id_out_of_range_in_the_url_is_422_naming_it(signed_in: FlaskClient, lot: str) -> None:
    for suffix in ("", "/occupancy", "/tariff", "/fee?plate=粤B12345"):
        response = signed_in.get(f"/api/v1/lots/{lot}{suffix}")
        assert response.status_code == 422, suffix
        assert response.get_json() == _error(422, "Unprocessable Entity", "lot_id: must be an integer from 1 to 2147483647", "lot_id")


def test_api_id_in_another_scripts_digits_is_not_a_route(signed_in: FlaskClient) -> None:
    assert signed_in.get("/api/v1/lots/%D9%A1").status_code == 404  # ١, ARABIC-INDIC DIGIT ONE


def test_api_command_to_a_lane_out_of_range_is_422_naming_it(signed_in: FlaskClient) -> None:
    response = signed_in.post("/api/v1/lanes/99999999999/commands", json={"action": "open", "reason": "救护车"})
    assert response.get_json() == _error(422, "Unprocessable Entity", "lane_id: must be an integer from 1 to 2147483647", "lane_id")


def test_console_lane_out_of_range_is_a_400_page_naming_it(signed_in: FlaskClient) -> None:
    response = signed_in.post(f"/console/lanes/{TEN_TO_THE_5000}/gate", data={"action": "open", "reason": "visitor"})
    assert response.status_code == 400
    assert "参数“lane_id”的值格式不正确或超出范围。" in response.get_data(as_text=True)


def test_snapshot_path_longer_than_any_stored_one_is_404(signed_in: FlaskClient) -> None:
    assert signed_in.get("/console/snapshots/" + "a/" * 5000 + "x.jpg").status_code == 404


# -- query arguments of the fee and tariff -----------------------------------------------------------------


@pytest.mark.parametrize(("query", "field", "message"), [
    ("plate=" + "粤" * 65, "plate", "plate: Longer than 64 characters."),
    ("plate=%ED%A0%80", "plate", None),
    ("plate=粤B12345&at=9999-12-31T23:59:59-14:00", "at", "at: Out of range; a date and time from 2000 to 2099 is expected."),
    ("plate=粤B12345&at=0001-01-01T00:00:00%2B14:00", "at", "at: Out of range; a date and time from 2000 to 2099 is expected."),
    ("plate=粤B12345&at=" + "2026" * 20, "at", "at: Longer than 40 characters."),
])
def test_fee_query_out_of_bounds_is_422_naming_the_field(signed_in: FlaskClient, village: DemoVillage, query: str, field: str, message: str | None) -> None:
    response = signed_in.get(f"/api/v1/lots/{village.community_lot_id}/fee?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == field
    if message is not None:
        assert error["message"] == message


def test_fee_for_leaving_more_than_a_year_ahead_is_422_naming_at(app: Flask, signed_in: FlaskClient, admit, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    """A quote has a line per day billed: decades ahead would be megabytes of them."""
    admit("粤B12345", lane_code="gate-in")
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    url = f"/api/v1/lots/{village.office_lot_id}/fee"
    assert signed_in.get(url, query_string={"plate": "粤B12345", "at": "2027-11-26T17:29:00+08:00"}).status_code == 200
    response = signed_in.get(url, query_string={"plate": "粤B12345", "at": "2099-12-31T23:00:00+08:00"})
    assert response.get_json() == _error(422, "Unprocessable Entity", "at: more than 366 days ahead; a fee is quoted for leaving within a year", "at")


def test_tariff_at_a_moment_out_of_range_is_422_naming_it(signed_in: FlaskClient, village: DemoVillage) -> None:
    response = signed_in.get(f"/api/v1/lots/{village.community_lot_id}/tariff?at=1900-01-01T00:00:00Z")
    assert response.get_json() == _error(422, "Unprocessable Entity", "at: Out of range; a date and time from 2000 to 2099 is expected.", "at")


def test_too_many_query_arguments_are_refused(signed_in: FlaskClient) -> None:
    response = signed_in.get("/api/v1/lots?" + "&".join(f"a{i}=1" for i in range(65)))
    assert response.get_json() == _error(422, "Unprocessable Entity", "more than 64 query arguments", None)


# -- JSON bodies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "code", "field", "message"), [
    ('{"action": "open", "reason": "\\ud800"}', 422, "reason", "reason: contains U+D800, a control character or lone surrogate, which no field may hold"),
    ('{"action": "show_text", "text": "a\\u0000"}', 422, "text", "text: contains U+0000, a control character or lone surrogate, which no field may hold"),
    ('{"action": ' + TEN_TO_THE_5000 + "}", 422, "action", "action: integer out of range -9223372036854775808..9223372036854775807"),
    ('{"action": "open", "reason": ["' + "x" * 20000 + '"]}', 422, "reason[0]", "reason[0]: longer than 16384 characters"),
    ('{"action": ' + "[" * 40 + "]" * 40 + "}", 422, "action" + "[0]" * 32, None),
    ("[" * 100_000, 400, None, "the body is not valid JSON (UTF-8, RFC 8259)"),
    ('{"action": NaN}', 400, None, "the body is not valid JSON (UTF-8, RFC 8259)"),
    ('{"action": "open"', 400, None, "the body is not valid JSON (UTF-8, RFC 8259)"),
    ('{"action": 5}', 422, "action", "action: Not a valid string."),
])
def test_lane_command_body_out_of_bounds_is_refused_naming_the_field(signed_in: FlaskClient, village: DemoVillage,
                                                                     body: str, code: int, field: str | None, message: str | None) -> None:
    response = signed_in.post(f"/api/v1/lanes/{village.lane('east-in').id}/commands", data=body.encode("utf-8", "surrogatepass"),
                              content_type="application/json")
    assert response.status_code == code
    error = response.get_json()["error"]
    assert error["field"] == field
    if message is not None:
        assert error["message"] == message


def test_a_body_that_is_not_utf8_is_400(signed_in: FlaskClient, village: DemoVillage) -> None:
    response = signed_in.post(f"/api/v1/lanes/{village.lane('east-in').id}/commands", data=b'{"action": "\xff"}', content_type="application/json")
    assert response.get_json() == _error(400, "Bad Request", "the body is not valid JSON (UTF-8, RFC 8259)", None)


# -- sizes ------------------------------------------------------------------------------------------------


def test_oversized_form_is_413_page(client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"username": "admin", "password": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    assert "提交的内容过大。" in response.get_data(as_text=True)


def test_oversized_chunked_form_is_413_page_not_a_truncated_form(client: FlaskClient) -> None:
    response = client.post("/auth/login", input_stream=io.BytesIO(b"username=admin&password=" + b"x" * (1024 * 1024)),
                           headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_oversized_chunked_body_without_a_length_is_413(app: Flask, client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    body = b'{"action": "open", "reason": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(f"/api/v1/lanes/{village.lane('east-in').id}/commands", input_stream=io.BytesIO(body),
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == f"request body larger than {app.config['MAX_CONTENT_LENGTH']} bytes"


# -- errors carry no exception text ------------------------------------------------------------------------


def test_a_crash_is_a_500_without_its_exception_text(app: Flask, client: FlaskClient) -> None:
    def crash() -> str:
        raise RuntimeError("secret detail of the crash")

    app.add_url_rule("/api/v1/test-crash", "test_api_crash", crash)
    app.add_url_rule("/console/test-crash", "test_console_crash", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    api = client.get("/api/v1/test-crash")
    assert api.status_code == 500
    assert api.get_json() == _error(500, "Internal Server Error", INTERNAL, None)
    page = client.get("/console/test-crash")
    assert page.status_code == 500
    assert "secret detail" not in page.get_data(as_text=True) and "RuntimeError" not in page.get_data(as_text=True)


# -- the sign-in redirect and the language links ----------------------------------------------------------


@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "/\r\nLocation: x", "//evil.example", "/\tx", "http://evil.example/"])
def test_sign_in_never_redirects_off_the_site(client: FlaskClient, target: str) -> None:
    page = client.get("/auth/login")
    response = client.post("/auth/login", query_string={"next": target},
                           data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin", "password": TEST_PASSWORD})
    assert response.status_code in {302, 400}
    if response.status_code == 302:
        assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize("query", ["_scheme=javascript", "_external=1&_scheme=x", "endpoint=x", "_method=POST", "_anchor=x", "values=1"])
def test_language_links_keep_any_argument_without_taking_it_for_url_for(signed_in: FlaskClient, query: str) -> None:
    response = signed_in.get(f"/console/sessions?{query}")
    assert response.status_code == 200
    assert f'href="/console/sessions?{query.replace("&", "&amp;")}&amp;lang=en"' in response.get_data(as_text=True)


def test_audit_rows_of_rejected_input_are_none(signed_in: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    """A command refused for its input leaves no trace: nothing was sent, nothing audited."""
    signed_in.post(f"/api/v1/lanes/{village.lane('east-in').id}/commands", data=b'{"action": "open", "reason": "\\ud800"}',
                   content_type="application/json")
    with runtime.sessions() as db:
        assert db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("lane.%"))).all() == []


@pytest.mark.parametrize("body", ["[[]]", "[1, 2]", '{"action": "open"}'])
def test_a_console_form_posted_as_json_is_a_400_not_a_crash(signed_in: FlaskClient, village, body: str) -> None:  # type: ignore[no-untyped-def]
    for url in ("/console/passes/import", f"/console/lanes/{village.lane('east-out').id}/gate", "/auth/login"):
        response = signed_in.post(url, data=body, content_type="application/json")
        assert response.status_code == 400, url
        assert "请求无效" in response.get_data(as_text=True)
