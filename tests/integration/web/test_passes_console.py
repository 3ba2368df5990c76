"""The pass, product, list and visitor pages of the console: CSRF forms, refusals shown under the field in
the page's language, the refund shown before the end is confirmed, the import report row by row, HTML
escaped everywhere. Demo village at FIXED_NOW (2026-11-25 17:30 in Shanghai)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from parking.models import ListEntry, ParkingPass, Visitor
from parking.runtime import Runtime
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

FIELD_ERRORS = re.compile(r'<div class="field has-error" data-field="([^"]+)">.*?<span class="field-error" role="alert">([^<]+)</span>', re.S)
FLASHES = re.compile(r'<p class="flash flash-(\w+)" role="status">([^<]+)</p>')


@pytest.fixture
def console(app: Flask, client: FlaskClient, login):  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW

    def as_(username: str) -> FlaskClient:
        login(username)
        return client

    return as_


def post_form(client: FlaskClient, page: str, data: dict[str, object], url: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url or page, data={"csrf_token": token, **data})


def flashes(client: FlaskClient, url: str) -> list[tuple[str, str]]:
    return FLASHES.findall(client.get(url).get_data(as_text=True))


@pytest.fixture
def manager(console) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = console("manager")
    response = post_form(client, "/console/pass-products", {"lot_id": "1", "code": "yueka", "name": "月卡", "kind": "monthly", "period_months": "1",
                                                             "price_yuan": "300", "spaces": "1", "zone_id": "0", "active": "y"})
    assert response.status_code == 302
    return client


def issue(client: FlaskClient, **changes):  # type: ignore[no-untyped-def]
    data = {"product_id": "1", "holder": "8栋 赵先生", "household": "8栋301", "phone": "13800138000", "plates": "粤B66M01",
            "start": "2026-11-25", "periods": "1", **changes}
    return post_form(client, "/console/passes/new", data)


def count(runtime: Runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_a_product_is_added_and_a_pass_issued_from_it(manager: FlaskClient):
    products = manager.get("/console/pass-products").get_data(as_text=True)
    assert re.search(r'<td><code>yueka</code></td>\s*<td>月卡</td>\s*<td>月卡</td>\s*<td class="num">1</td>\s*<td class="num">300.00</td>', products)
    response = issue(manager)
    assert (response.status_code, response.headers["Location"]) == (302, "/console/passes/5")
    assert flashes(manager, "/console/passes/5") == [("info", "已为 8栋 赵先生 办理通行证，应收 300.00 元。")]
    page = manager.get("/console/passes").get_data(as_text=True)
    assert '<td class="num" data-field="days-left">29 天</td>' in page


def test_a_plate_of_another_pass_is_shown_under_the_plates_field_in_chinese_and_english(manager: FlaskClient, runtime: Runtime):
    response = issue(manager, plates="粤B66M01, 粤B3M001")
    assert response.status_code == 422
    assert FIELD_ERRORS.findall(response.get_data(as_text=True)) == [
        ("plates", "车牌 粤B3M001 已有通行证 1（3栋 王先生），有效期 2026-11-20 至 2026-12-20，与此卡在同一区域、时间重叠。")]
    manager.get("/console/?lang=en")
    english = issue(manager, plates="粤B3M001", holder="x")
    assert FIELD_ERRORS.findall(english.get_data(as_text=True)) == [
        ("plates", "Plate 粤B3M001 already has pass 1 (3栋 王先生), valid 2026-11-20 to 2026-12-20, in the same zone for an overlapping time.")]
    assert count(runtime, ParkingPass) == 4


def test_bad_form_input_is_named_under_its_field(manager: FlaskClient):
    response = issue(manager, plates="粤B6M0", periods="0", start="2026-02-30")
    errors = dict(FIELD_ERRORS.findall(response.get_data(as_text=True)))
    assert errors["periods"] == "应为 1 到 120 之间的整数。"
    assert "start" in errors
    only_plate = issue(manager, plates="粤B6M0")
    assert FIELD_ERRORS.findall(only_plate.get_data(as_text=True)) == [("plates", "无法识别车牌“粤B6M0”。")]


def test_html_in_a_holder_is_escaped_on_every_page(manager: FlaskClient):
    issue(manager, holder="<script>alert(1)</script>", note="<b>备注</b>")
    for url in ("/console/passes", "/console/passes/5", "/console/passes/5/end", "/console/passes/expiring?days=60"):
        html = manager.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_renewing_suspending_and_resuming_from_the_pass_page(manager: FlaskClient, runtime: Runtime):
    issue(manager)
    renewed = post_form(manager, "/console/passes/5", {"action": "renew", "periods": "2", "product_id": "0"})
    assert renewed.status_code == 302
    assert flashes(manager, "/console/passes/5") == [("info", "已续费 2 期，应收 600.00 元，有效期至 2027-02-24。")]
    post_form(manager, "/console/passes/5", {"action": "suspend", "reason": "车主出国"})
    page = manager.get("/console/passes/5").get_data(as_text=True)
    assert '<span class="tag warn" data-status="suspended">已暂停</span>' in page
    assert runtime.store.facts.for_plate(1, "粤B66M01").passes[0].suspended_at == FIXED_NOW
    post_form(manager, "/console/passes/5", {"action": "resume"})
    assert '<span class="tag" data-status="valid">有效</span>' in manager.get("/console/passes/5").get_data(as_text=True)
    actions = re.findall(r'<tr data-action="([^"]+)">', manager.get("/console/passes/5").get_data(as_text=True))
    assert actions == ["pass.resume", "pass.suspend", "pass.renew", "pass.issue"]


def test_changing_plates_to_one_of_another_pass_is_refused_under_the_field(manager: FlaskClient):
    issue(manager)
    response = post_form(manager, "/console/passes/5", {"action": "plates", "plates": "粤B66M01 粤B8E101"})
    assert response.status_code == 422
    assert FIELD_ERRORS.findall(response.get_data(as_text=True))[0][0] == "plates"


def test_the_refund_is_shown_before_the_end_is_confirmed(app: Flask, manager: FlaskClient, runtime: Runtime):
    issue(manager)
    page = manager.get("/console/passes/5/end").get_data(as_text=True)
    assert '<p class="refund" data-field="refund">剩余 29 整天 / 共 30 天，可退 290.00 元。</p>' in page
    token = csrf_token(page)
    shown = re.search(r'name="refund_fen" type="hidden" value="(\d+)"', page).group(1)
    assert shown == "29000"
    # A day later the amount is 280.00: the stale confirmation is not taken, the page asks again.
    from datetime import timedelta
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW + timedelta(days=1)
    stale = manager.post("/console/passes/5/end", data={"csrf_token": token, "refund": "y", "refund_fen": shown})
    assert "退款金额已按现在重新计算，请核对后再次确认。" in stale.get_data(as_text=True)
    assert '可退 280.00 元' in stale.get_data(as_text=True)
    with runtime.sessions() as db:
        assert db.get(ParkingPass, 5).ended_at is None
    done = manager.post("/console/passes/5/end", data={"csrf_token": token, "refund": "y", "refund_fen": "28000", "reason": "搬家"})
    assert done.status_code == 302
    assert flashes(manager, "/console/passes/5")[0] == ("info", "此卡已终止，应退 280.00 元（剩余 28 天）。")
    with runtime.sessions() as db:
        assert db.get(ParkingPass, 5).ended_at is not None


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["停车场", "产品", "持有人", "车牌", "开始日期", "期数"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def upload(client: FlaskClient, data: bytes, **extra):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/console/passes/import").get_data(as_text=True))
    return client.post("/console/passes/import", data={"csrf_token": token, "file": (io.BytesIO(data), "passes.csv"), **extra},
                       content_type="multipart/form-data")


def test_the_import_page_lists_every_bad_row_and_writes_nothing(manager: FlaskClient, runtime: Runtime):
    rows = [["hx-community", "yueka", f"住户{i}", f"粤B5{i:04d}", "2026-12-01", "1"] for i in range(10)]
    rows[2][3] = "粤B1234"
    rows[5][4] = "2026-13-01"
    rows[8][1] = "周卡"
    response = upload(manager, _csv(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    report = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', html)
    assert report == [("4", "车牌", "无法识别车牌“粤B1234”。"), ("7", "开始日期", "不是有效的日期（应为 YYYY-MM-DD）。"),
                      ("10", "产品", "停车场 hx-community 没有产品“周卡”。")]
    assert FLASHES.findall(html) == [("error", "有 3 处问题，未导入任何通行证。请修改文件后重新上传。")]
    assert count(runtime, ParkingPass) == 4


def test_the_import_page_checks_then_imports(manager: FlaskClient, runtime: Runtime):
    rows = [["hx-community", "yueka", f"住户{i}", f"粤B5{i:04d}", "2026-12-01", "1"] for i in range(3)]
    checked = upload(manager, _csv(rows), dry_run="y")
    assert FLASHES.findall(checked.get_data(as_text=True)) == [("info", "检查通过：将导入 3 张通行证，0 行是已有的通行证。")]
    assert count(runtime, ParkingPass) == 4
    done = upload(manager, _csv(rows))
    assert FLASHES.findall(done.get_data(as_text=True)) == [("info", "已导入 3 张通行证；0 行是已有的通行证，未改动。")]
    assert count(runtime, ParkingPass) == 7
    old = upload(manager, b"\xd0\xcf\x11\xe0 an old workbook")
    assert FIELD_ERRORS.findall(old.get_data(as_text=True)) == [("file", "这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV。")]


def test_the_export_link_gives_the_passes_as_excel(manager: FlaskClient):
    response = manager.get("/console/passes/export?format=xlsx&lot=1")
    assert (response.status_code, response.headers["Content-Type"], response.data[:2]) == (
        200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK")


def test_the_expiring_page_lists_passes_by_their_last_day(manager: FlaskClient):
    issue(manager, start="2026-10-28", holder="快到期")
    html = manager.get("/console/passes/expiring").get_data(as_text=True)
    assert re.findall(r'<tr data-pass="(\d+)">', html) == ["5"]
    assert '<td class="num" data-field="days-left">2 天</td>' in html
    assert re.findall(r'<tr data-pass="(\d+)">', manager.get("/console/passes/expiring?days=30").get_data(as_text=True)) == ["5", "1", "3", "4"]


def test_the_pass_pages_read_in_english(manager: FlaskClient):
    issue(manager)
    html = manager.get("/console/passes?lang=en").get_data(as_text=True)
    assert "Issue a pass" in html and '<span class="tag" data-status="valid">Valid</span>' in html and "29 days" in html


# -- lists and visitors ------------------------------------------------------------------------------------


def test_an_attendant_sees_the_lists_but_cannot_change_them(console, runtime: Runtime):
    attendant = console("attendant")
    html = attendant.get("/console/lists").get_data(as_text=True)
    assert re.findall(r'<td class="plate">([^<]+)</td>', html) == ["粤B12000", "粤B99999"]
    assert 'id="add-entry"' not in html
    token = csrf_token(attendant.get("/console/visitors").get_data(as_text=True))
    assert attendant.post("/console/lists", data={"csrf_token": token, "plate": "粤B44444", "kind": "blacklist", "reason": "x", "lot_id": "1"}).status_code == 403
    assert count(runtime, ListEntry) == 2


def test_a_manager_adds_an_entry_with_html_in_its_reason_shown_escaped(console, runtime: Runtime):
    manager = console("manager")
    response = post_form(manager, "/console/lists", {"action": "add", "lot_id": "0", "plate": "粤b44444", "kind": "blacklist",
                                                    "reason": "<img src=x onerror=alert(1)>", "expires_on": "2026-12-31"})
    assert response.status_code == 302
    html = manager.get("/console/lists").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert re.search(r'<td class="plate">粤B44444</td>.*?<td>全部停车场</td>.*?<td>2027-01-01 00:00</td>', html, re.S)  # through the 31st
    assert runtime.store.facts.for_plate(2, "粤B44444").lists[0].kind == "blacklist"  # every lot


def test_an_impossible_plate_on_the_list_form_is_named(console):
    response = post_form(console("manager"), "/console/lists", {"action": "add", "lot_id": "1", "plate": "粤B1", "kind": "whitelist", "reason": "x"})
    assert (response.status_code, FIELD_ERRORS.findall(response.get_data(as_text=True))) == (422, [("plate", "无法识别车牌“粤B1”。")])


def test_a_manager_removes_an_entry(console, runtime: Runtime):
    manager = console("manager")
    post_form(manager, "/console/lists", {"action": "remove", "entry_id": "1"})
    assert flashes(manager, "/console/lists") == [("info", "已将 粤B99999 移出名单。")]
    assert runtime.store.facts.for_plate(1, "粤B99999").lists == ()


def test_an_attendant_registers_a_visitor_and_cancels_the_visit(console, runtime: Runtime):
    attendant = console("attendant")
    response = post_form(attendant, "/console/visitors", {"action": "register", "lot_id": "1", "plate": "粤B77777", "host": "3栋502 王女士",
                                                         "valid_until": "2026-11-25T22:00"})
    assert response.status_code == 302
    assert flashes(attendant, "/console/visitors") == [("info", "已登记访客 粤B77777（3栋502 王女士），11-25 22:00 前可入场。")]
    assert [v.host for v in runtime.store.facts.for_plate(1, "粤B77777").visitors] == ["3栋502 王女士"]
    post_form(attendant, "/console/visitors", {"action": "cancel", "visitor_id": "1"})
    assert runtime.store.facts.for_plate(1, "粤B77777").visitors == ()
    assert count(runtime, Visitor) == 0  # registered and cancelled at the same moment: it had not begun, so it is deleted


@pytest.mark.parametrize(("page", "data", "field"), [
    ("/console/visitors", {"action": "register", "lot_id": "1", "plate": "粤B77777", "host": "3栋", "valid_from": "0001-01-01T00:00",
                           "valid_until": "2026-11-25T22:00"}, "valid_from"),
    ("/console/lists", {"action": "add", "lot_id": "1", "plate": "粤B44444", "kind": "blacklist", "reason": "x", "expires_on": "9999-12-31"}, "expires_on"),
])
def test_a_date_outside_the_years_an_operator_may_give_is_named(console, page: str, data: dict[str, str], field: str):
    response = post_form(console("manager"), page, data)
    assert (response.status_code, FIELD_ERRORS.findall(response.get_data(as_text=True))) == (422, [(field, "时间应在 2000 年至 2099 年之间。")])


def test_500_passes_uploaded_as_xlsx_through_the_page(manager: FlaskClient, runtime: Runtime):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["停车场", "产品", "持有人", "房号", "车牌", "开始日期", "期数"])
    for i in range(500):
        sheet.append(["和谐里小区", "月卡", f"住户{i:03d}", f"{i // 20 + 1}栋{i % 20 + 1:02d}", f"粤B{i:05d}", "2026-12-01", 3])
    data = io.BytesIO()
    book.save(data)
    token = csrf_token(manager.get("/console/passes/import").get_data(as_text=True))
    response = manager.post("/console/passes/import", data={"csrf_token": token, "file": (io.BytesIO(data.getvalue()), "月卡.xlsx")},
                            content_type="multipart/form-data")
    assert FLASHES.findall(response.get_data(as_text=True)) == [("info", "已导入 500 张通行证；0 行是已有的通行证，未改动。")]
    assert count(runtime, ParkingPass) == 504
    assert runtime.store.facts.for_plate(1, "粤B00499").passes[0].holder == "住户499"
