"""The revenue page, its CSV and Excel exports, ``/api/v1/reports/revenue`` and the reconciliation page,
over the two-day ledger of ``tests/integration/money/test_revenue`` booked in the demo village: the same
figures everywhere, for managers, auditors and administrators only."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from parking.models import Operator, Shift, ShiftStatus
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.reconciliation import reconcile_day
from parking.services.revenue import revenue_report
from parking.services.tokens import issue_token
from tests.conftest import FIXED_NOW, Clock
from tests.integration.money.ledger_book import Book
from tests.integration.money.test_reconciliation import BILL, DAY, Bills, bill_day
from tests.integration.money.test_revenue import two_days

pytestmark = [pytest.mark.database, pytest.mark.redis]

PERIOD = "from=2026-11-24&to=2026-11-25"


def village_book(runtime: Runtime, village: DemoVillage):  # type: ignore[no-untyped-def]
    db = runtime.sessions()
    people = {o.username: o.id for o in db.scalars(select(Operator))}
    shift = Shift(uid="shift-1", lot_id=village.community_lot_id, operator_id=people["attendant"], status=ShiftStatus.CLOSED,
                  opened_at=datetime(2026, 11, 24, tzinfo=timezone.utc))
    db.add(shift)
    db.flush()
    lanes = {"hx-out1": village.lane("east-out").id, "hx-out2": village.lane("inner-out").id, "kj-out": village.lane("gate-out").id}
    return Book(db, village.community_lot_id, village.office_lot_id, village.outer_zone_id, village.office_zone_id, lanes,
                people["attendant"], people["manager"], shift.id)


@pytest.fixture
def ledger(app: Flask, runtime: Runtime, village: DemoVillage) -> Iterator[Book]:
    app.config["PARKING_CLOCK"] = Clock()
    book = village_book(runtime, village)
    two_days(book.db, book)
    book.db.commit()
    yield book
    book.db.close()


def cells(html: str, attribute: str, value: str) -> dict[str, str]:
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert row, f"no row {attribute}={value}"
    return dict(re.findall(r'<td class="num" data-field="(\w+)">([^<]*)</td>', row.group(1)))


def test_a_manager_sees_the_figures_in_cards_tables_and_chart_data(client: FlaskClient, login, ledger: Book) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    response = client.get(f"/console/revenue?{PERIOD}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert dict(re.findall(r'data-total="(\w+)">([^<]*)<', html)) == {
        "receivable_fen": "59.00", "received_fen": "48.00", "discount_fen": "11.00", "arrears_created_fen": "20.00",
        "arrears_paid_fen": "20.00", "refund_fen": "3.00", "net_fen": "45.00"}
    assert cells(html, "data-day", "2026-11-25") == {
        "receivable_fen": "34.00", "received_fen": "28.00", "wechat": "20.00", "alipay": "8.00", "cash": "0.00", "other": "0.00",
        "discount_fen": "6.00", "arrears_created_fen": "20.00", "arrears_paid_fen": "20.00", "refund_fen": "3.00", "net_fen": "25.00"}
    assert cells(html, "data-day", "total")["net_fen"] == "45.00"
    assert cells(html, "data-operator", "attendant") == {
        "received_fen": "10.00", "wechat": "0.00", "alipay": "0.00", "cash": "10.00", "other": "0.00", "discount_fen": "6.00",
        "arrears_created_fen": "0.00", "arrears_paid_fen": "0.00", "refund_fen": "0.00", "net_fen": "10.00"}
    chart = json.loads(re.search(r'<script type="application/json" id="revenue-data">(.*?)</script>', html, re.S).group(1))
    assert chart["labels"] == ["2026-11-24", "2026-11-25"]
    assert [(s["key"], s["values"]) for s in chart["received"]] == [("wechat", [10.0, 20.0]), ("alipay", [0.0, 8.0]),
                                                                     ("cash", [10.0, 0.0]), ("other", [0.0, 0.0])]
    assert chart["net"]["values"] == [20.0, 25.0]
    assert '/static/vendor/chartjs/chart.umd.min.js' in html and '/static/js/revenue.js' in html


def test_without_dates_the_page_shows_this_month_to_today(client: FlaskClient, login, ledger: Book) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    html = client.get("/console/revenue").get_data(as_text=True)
    assert 'name="from" value="2026-11-01"' in html and 'name="to" value="2026-11-25"' in html
    assert re.search(r'data-total="net_fen">52.00<', html)  # the 23rd's 7 yuan too


def test_one_lot_alone(client: FlaskClient, login, ledger: Book, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    html = client.get(f"/console/revenue?{PERIOD}&lot={village.office_lot_id}").get_data(as_text=True)
    assert re.search(r'data-total="receivable_fen">14.00<', html) and re.search(r'data-total="net_fen">5.00<', html)
    assert 'data-table="lots"' not in html


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-13-01&to=2026-11-25", "日期“from”应为 2026-01-31 的格式。"),
    ("from=2026-11-25&to=2026-11-24", "结束日期应不早于开始日期。"),
    ("from=2020-01-01&to=2026-11-25", "一次最多查询 731 天。"),
    ("from=2026-11-24&to=2026-11-25&lot=99", "没有这个停车场。"),
])
def test_a_filter_that_cannot_be_read_is_named_and_answers_400(client: FlaskClient, login, ledger: Book, query: str,  # type: ignore[no-untyped-def]
                                                                message: str) -> None:
    login("manager")
    response = client.get(f"/console/revenue?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True) and "data-total" not in response.get_data(as_text=True)
    assert client.get(f"/console/revenue.csv?{query}").get_data(as_text=True) == message + "\n"


def test_the_csv_has_the_days_and_the_total_in_yuan(client: FlaskClient, login, ledger: Book) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    response = client.get(f"/console/revenue.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="revenue-2026-11-24-2026-11-25.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [
        ["日期", "应收(元)", "实收(元)", "微信支付(元)", "支付宝(元)", "现金(元)", "其他方式(元)", "优惠减免(元)", "新增欠费(元)", "追缴欠费(元)",
         "退款(元)", "净收入(元)"],
        ["2026-11-24", "25.00", "20.00", "10.00", "0.00", "10.00", "0.00", "5.00", "0.00", "0.00", "0.00", "20.00"],
        ["2026-11-25", "34.00", "28.00", "20.00", "8.00", "0.00", "0.00", "6.00", "20.00", "20.00", "3.00", "25.00"],
        ["合计", "59.00", "48.00", "30.00", "8.00", "10.00", "0.00", "11.00", "20.00", "20.00", "3.00", "45.00"],
    ]


def test_the_workbook_has_a_sheet_per_breakdown(client: FlaskClient, login, ledger: Book) -> None:  # type: ignore[no-untyped-def]
    login("admin")
    response = client.get(f"/console/revenue.xlsx?{PERIOD}&lang=en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["By day", "By lot", "By lane", "By operator", "By payment method"]
    days = [[cell.value for cell in row] for row in book["By day"].iter_rows()]
    assert days[0][:3] == ["Day", "Receivable(yuan)", "Received(yuan)"]
    assert days[-1] == ["Total", 59, 48, 30, 8, 10, 0, 11, 20, 20, 3, 45]
    assert [[cell.value for cell in row] for row in book["By payment method"].iter_rows()][1:] == [
        ["Cash", 1, 10, 0, 0, 10], ["WeChat Pay", 2, 30, 20, 0, 30], ["Alipay", 1, 8, 0, 3, 5]]


def test_the_api_answers_the_same_report_in_fen(app: Flask, client: FlaskClient, login, ledger: Book, runtime: Runtime,  # type: ignore[no-untyped-def]
                                                village: DemoVillage) -> None:
    login("manager")
    shown = client.get(f"/api/v1/reports/revenue?{PERIOD}").get_json()
    with runtime.sessions() as db:
        assert shown == revenue_report(db, date(2026, 11, 24), date(2026, 11, 25)).as_json()
    assert (shown["totals"]["receivable_fen"], shown["totals"]["net_fen"]) == (5900, 4500)
    one = client.get(f"/api/v1/reports/revenue?{PERIOD}&lot_id={village.office_lot_id}").get_json()
    assert [lot["code"] for lot in one["lots"]] == ["kj-office"] and one["totals"]["net_fen"] == 500
    assert client.get("/api/v1/reports/revenue?from=2026-11-25&to=2026-11-24").get_json()["error"] == {
        "code": 422, "status": "Unprocessable Entity", "message": "the period ends (2026-11-24) before it begins (2026-11-25)", "field": "to"}
    assert client.get("/api/v1/reports/revenue?from=11/24/2026&to=2026-11-25").get_json()["error"]["field"] == "from"
    assert client.get(f"/api/v1/reports/revenue?{PERIOD}&lot_id=99").get_json()["error"] == {
        "code": 404, "status": "Not Found", "message": "lot 99 not found", "field": "lot_id"}
    with runtime.sessions() as db:
        token = issue_token(db, name="bi", scopes=["reports:read"], now=FIXED_NOW).secret
    by_token = app.test_client().get(f"/api/v1/reports/revenue?{PERIOD}", headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 200 and by_token.get_json()["totals"]["received_fen"] == 4800


def test_an_attendant_may_not_see_the_revenue(client: FlaskClient, login, ledger: Book) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert [client.get(f"{path}?{PERIOD}").status_code for path in ("/console/revenue", "/console/revenue.csv", "/console/revenue.xlsx",
                                                                    "/console/reconciliation", "/api/v1/reports/revenue")] == [403] * 5


def test_the_reconciliation_page_lists_each_days_differences(app: Flask, client: FlaskClient, login, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
    with runtime.sessions() as db:
        bill_day(db)
        db.commit()
        reconcile_day(db, Bills("wechat", {DAY: BILL}), DAY, now=datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc))
        reconcile_day(db, Bills("alipay", {DAY: [BILL[0].__class__("payment", "A-OTHER-METHOD", "2026A", 900, BILL[0].at)]}), DAY,
                      now=datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc))
    login("manager")
    html = client.get("/console/reconciliation").get_data(as_text=True)
    section = re.search(r'<section class="card" data-day="2026-11-25">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'data-status="(\w+)"', section) == ["differences", "clean"]
    assert re.findall(r'<tr data-kind="(\w+)"><td>([^<]*)</td><td><code>([^<]*)</code>', section) == [
        ("not_in_ledger", "平台有、系统无此收款", "P-PENDING"), ("not_in_ledger", "平台有、系统无此收款", "UNKNOWN-1"),
        ("not_in_bill", "系统有、平台无此收款", "P-NOT-BILLED"), ("amount_differs", "收款金额不一致", "P-DIFFERS"),
        ("other_day", "系统记在其他日期", "P-EVE"), ("refund_not_in_ledger", "平台有、系统无此退款", "P-OK"),
        ("refund_not_in_bill", "系统有、平台无此退款", "P-DIFFERS"), ("refund_amount_differs", "退款金额不一致", "P-DIFFERS")]
    assert "核对于 2026-11-26 11:00" in section
    api = client.get("/api/v1/reports/reconciliation?from=2026-11-25&to=2026-11-25&method=wechat").get_json()
    assert [(row["day"], row["method"], row["status"], len(row["differences"])) for row in api] == [("2026-11-25", "wechat", "differences", 8)]
    assert client.get("/console/reconciliation?from=2026-11-26&to=2026-11-25").status_code == 400
