"""Passes from and to spreadsheets (parking.services.pass_files): CSV and .xlsx, Chinese headers or
English keys, a row-by-row report and nothing written when any row fails, idempotent re-import, and 500
passes in one transaction with one plate-facts rebuild per lot."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from parking.models import AuditEvent, ParkingPass
from parking.services import lot_facts, pass_files, pass_products
from parking.services.pass_files import PassFileError, RowError
from parking.services.pass_products import ProductFields

from ...conftest import FIXED_NOW

HEADER = ["停车场", "产品", "持有人", "房号", "电话", "车牌", "开始日期", "期数", "备注"]


@pytest.fixture
def products(runtime, village) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        made = [pass_products.create(db, ProductFields(lot_id=village.community_lot_id, code=code, name=name, kind="monthly",
                                                       period_months=months, price_fen=price), operator_id=None, now=FIXED_NOW)
                for code, name, months, price in (("yueka", "月卡", 1, 30000), ("nianka", "年卡", 12, 300000))]
        made.append(pass_products.create(db, ProductFields(lot_id=village.office_lot_id, code="yueka", name="月卡", kind="monthly",
                                                           price_fen=20000), operator_id=None, now=FIXED_NOW))
        return {f"{p.lot_id}:{p.code}": p.id for p in made}


def rows_of(n: int, lot: str = "hx-community") -> list[list[object]]:
    return [[lot, "月卡", f"住户{i:03d}", f"{i // 10 + 1}栋{i % 10 + 1:02d}1", f"1380000{i:04d}", f"粤B{i:05d}", "2026-11-25", 1, ""]
            for i in range(n)]


def csv_file(rows: list[list[object]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_file(runtime, data: bytes, **kwargs):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return pass_files.import_passes(db, runtime.store, data, operator_id=2, now=FIXED_NOW, **kwargs)


def count_passes(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(ParkingPass))


@pytest.fixture
def refreshes(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    real = lot_facts.refresh

    def counting(db, store, lot_id, policy, now):  # type: ignore[no-untyped-def]
        calls.append(lot_id)
        return real(db, store, lot_id, policy, now)

    monkeypatch.setattr(lot_facts, "refresh", counting)
    return calls


@pytest.mark.parametrize("make", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_500_passes_are_imported_in_one_go_with_one_facts_rebuild(runtime, village, products, refreshes, site, make):
    data = make(rows_of(500))
    refreshes.clear()  # the lane fixture's own rebuild
    started = time.perf_counter()
    report = import_file(runtime, data, filename="passes")
    elapsed = time.perf_counter() - started
    assert (report.errors, report.rows, report.created, report.unchanged, report.written) == ([], 500, 500, 0, True)
    assert count_passes(runtime) == 4 + 500
    assert refreshes == [village.community_lot_id]
    assert elapsed < 15, f"500 passes took {elapsed:.1f} s"
    assert site.read("east-in", "粤B00499").lines == ("粤B00499", "月租车 剩余29天", "欢迎光临")
    with runtime.sessions() as db:
        p = db.scalar(select(ParkingPass).where(ParkingPass.holder == "住户123"))
        assert (p.household, p.phone, p.price_fen, p.product_id, [pp.plate for pp in p.plates]) == (
            "13栋041", "13800000123", 30000, products["1:yueka"], ["粤B00123"])
        actions = [a for a, in db.execute(select(AuditEvent.action).where(AuditEvent.action.like("pass.%")))]
    assert (actions.count("pass.issue"), actions.count("pass.import")) == (500, 1)


@pytest.mark.parametrize("make", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_a_file_with_three_bad_rows_reports_all_three_and_writes_nothing(runtime, products, make):
    rows = rows_of(10)
    rows[2][5] = "粤B1234"            # row 4: a plate too short
    rows[5][6] = "2026-02-30"         # row 7: no such day
    rows[8][1] = "周卡"               # row 10: no such product
    before = count_passes(runtime)
    report = import_file(runtime, make(rows))
    assert [(e.row, e.column) for e in report.errors] == [(4, "车牌"), (7, "开始日期"), (10, "产品")]
    assert report.errors[0].message.startswith("cannot read plate '粤B1234'")
    assert report.errors[1].message == "not a date of the calendar"
    assert report.errors[2].message == "lot hx-community has no product '周卡'"
    assert (report.written, report.created) == (False, 0)
    assert count_passes(runtime) == before


def test_importing_the_same_file_twice_adds_nothing_the_second_time(runtime, products):
    data = csv_file(rows_of(20))
    first = import_file(runtime, data)
    second = import_file(runtime, data)
    assert (first.created, second.created, second.unchanged, second.errors) == (20, 0, 20, [])
    assert count_passes(runtime) == 4 + 20


def test_a_row_repeated_in_the_file_is_one_pass(runtime, products):
    rows = rows_of(2)
    report = import_file(runtime, csv_file([*rows, rows[0]]))
    assert (report.created, report.unchanged) == (2, 1)


def test_a_plate_overlapping_a_pass_or_another_row_is_reported_with_the_row(runtime, products):
    rows = rows_of(3)
    rows[1][5] = "粤B3M001"                 # 3栋 王先生's pass 1
    rows[2][5] = "粤B00000"                 # the plate of the first row, another holder
    report = import_file(runtime, csv_file(rows))
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "车牌", "plate 粤B3M001 already has pass 1 (3栋 王先生) valid 2026-11-20 to 2026-12-20 in the same zone"),
        (4, "车牌", "plate 粤B00000 already has row 2 valid 2026-11-24 to 2026-12-24 in the same zone"),
    ]
    assert count_passes(runtime) == 4


def test_english_keys_a_gbk_csv_several_plates_and_the_last_day_instead_of_periods(runtime, products):
    header = ["lot", "product", "holder", "plates", "valid_from", "valid_until", "price", "note"]
    rows = [["和谐里小区", "nianka", "和谐物业", "粤B10001、粤B10002 粤B10003", "2026/12/01", "2027-11-30", "", "三车"],
            ["hx-community", "yueka", "临时合同", "粤B10004", "2026-12-01", "2026-12-15", "150.50", ""]]
    report = import_file(runtime, csv_file(rows, header, encoding="gb18030"))
    assert (report.errors, report.created) == ([], 2)
    with runtime.sessions() as db:
        company = db.scalar(select(ParkingPass).where(ParkingPass.holder == "和谐物业"))
        short = db.scalar(select(ParkingPass).where(ParkingPass.holder == "临时合同"))
        assert (sorted(pp.plate for pp in company.plates), company.price_fen, company.note) == (["粤B10001", "粤B10002", "粤B10003"], 300000, "三车")
        assert (short.price_fen, short.valid_until - short.valid_from) == (15050, datetime(2026, 12, 16) - datetime(2026, 12, 1))


def test_a_validity_of_no_whole_periods_needs_the_amount(runtime, products):
    header = ["lot", "product", "holder", "plates", "valid_from", "valid_until"]
    report = import_file(runtime, csv_file([["hx-community", "yueka", "甲", "粤B10004", "2026-12-01", "2026-12-15"]], header))
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "price", "price_required")]


@pytest.mark.parametrize(("header", "expected"), [
    (["停车场", "产品", "持有人", "车牌", "开始日期", "期数", "颜色"], [RowError(1, "颜色", "", "column_unknown")]),
    (["停车场", "产品", "持有人", "车牌", "期数"], [RowError(1, "开始日期", "", "column_missing")]),
    (["停车场", "产品", "持有人", "车牌", "开始日期", "期数", "plates"], [RowError(1, "plates", "", "column_duplicate")]),
])
def test_a_wrong_column_is_named_and_nothing_is_written(runtime, products, header, expected):
    report = import_file(runtime, csv_file([], header))
    assert [(e.row, e.column, e.code) for e in report.errors] == [(e.row, e.column, e.code) for e in expected]
    assert not report.written


def test_a_file_that_is_no_spreadsheet_is_refused_as_a_whole(runtime, products):
    with pytest.raises(PassFileError, match="not a readable .xlsx workbook"):
        import_file(runtime, b"PK\x03\x04 not really a zip")
    with pytest.raises(PassFileError, match="Excel 97-2003"):
        import_file(runtime, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", filename="old.xls")
    with pytest.raises(PassFileError, match="neither UTF-8 nor GBK"):
        import_file(runtime, b"\xff\xfe\xfa\xfb\x80\x81")


def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(runtime, products):
    report = import_file(runtime, csv_file(rows_of(3)), dry_run=True)
    assert (report.errors, report.created, report.written) == ([], 3, False)
    assert count_passes(runtime) == 4


def test_the_export_reimports_as_the_same_passes(runtime, village, products):
    import_file(runtime, xlsx_file(rows_of(5)))
    for fmt in ("csv", "xlsx"):
        with runtime.sessions() as db:
            data = pass_files.export(db, FIXED_NOW, fmt, lot_id=village.community_lot_id)
        report = import_file(runtime, data)
        # The three demo passes of the lot were not sold from a product: the file names none for them.
        assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "产品", "required"), (3, "产品", "required"), (4, "产品", "required")]
        rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig")))] if fmt == "csv" else None
        if rows:
            assert rows[0] == ["编号", "停车场", "产品", "持有人", "房号", "电话", "车牌", "开始日期", "期数", "结束日期", "金额(元)", "状态", "剩余天数", "备注"]
            assert rows[4] == ["5", "hx-community", "yueka", "住户000", "1栋011", "13800000000", "粤B00000", "2026-11-25", "1", "2026-12-24", "300.00", "有效", "29", ""]
    with runtime.sessions() as db:
        only_sold = [r for r in pass_files.export_rows(db, FIXED_NOW, lot_id=village.community_lot_id) if r["product"]]
    body = pass_files.to_csv(only_sold)
    assert import_file(runtime, body).unchanged == 5


def test_the_xlsx_export_has_dates_as_dates_and_text_never_as_formulas(runtime, village, products):
    bad = rows_of(1)
    bad[0][2] = "=HYPERLINK(\"http://evil\")"
    import_file(runtime, csv_file(bad))
    with runtime.sessions() as db:
        data = pass_files.export(db, FIXED_NOW, "xlsx", lot_id=village.community_lot_id, language="en")
        csv_data = pass_files.export(db, FIXED_NOW, "csv", lot_id=village.community_lot_id)
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]][:3] == ["id", "lot", "product"]
    last = [c for c in sheet[sheet.max_row]]
    assert (last[3].value, last[3].data_type, last[7].value) == ("=HYPERLINK(\"http://evil\")", "s", datetime(2026, 11, 25))
    assert "'=HYPERLINK" in csv_data.decode("utf-8-sig")
    assert csv_data.startswith(b"\xef\xbb\xbf")
    again = import_file(runtime, csv_data)  # read back without the quote: the same pass, no error on its row 5
    assert ([e.row for e in again.errors], again.unchanged) == ([2, 3, 4], 1)


def test_export_of_an_unknown_format_names_it(runtime, village):
    with runtime.sessions() as db, pytest.raises(ValueError, match="format: 'pdf' is not one of csv, xlsx"):
        pass_files.export(db, FIXED_NOW, "pdf")


def test_an_xlsx_date_cell_and_number_cells_are_read(runtime, products):
    rows = [["hx-community", "月卡", "甲", 13800000000, "粤B20001", date(2026, 12, 1), 2.0, ""]]
    header = ["停车场", "产品", "持有人", "电话", "车牌", "开始日期", "期数", "备注"]
    report = import_file(runtime, xlsx_file(rows, header))
    assert (report.errors, report.created) == ([], 1)
    with runtime.sessions() as db:
        p = db.scalar(select(ParkingPass).where(ParkingPass.holder == "甲"))
        assert (p.phone, p.price_fen) == ("13800000000", 60000)
