"""Reading spreadsheets defensively and writing them so that no cell runs as a formula."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest

from parking.services.spreadsheets import SpreadsheetError, cell_text, parse_date, parse_fen, parse_int, rows, to_csv


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_parsed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (65 * 1024 * 1024))
    with pytest.raises(SpreadsheetError, match="unpacks to more than 64 MiB"):
        list(rows(buffer.getvalue()))


def test_csv_in_gbk_and_tab_separated_csv_are_read():
    assert list(rows("车牌,持有人\r\n粤B12345,王\r\n".encode("gb18030"))) == [["车牌", "持有人"], ["粤B12345", "王"]]
    assert list(rows("车牌\t持有人\n粤B12345\t王\n".encode())) == [["车牌", "持有人"], ["粤B12345", "王"]]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01", date(2026, 12, 1)), ("2026/12/1", date(2026, 12, 1)), ("2026.12.01", date(2026, 12, 1)),
    ("2026年12月1日", date(2026, 12, 1)), ("2026-12-01 00:00:00", date(2026, 12, 1)), (datetime(2026, 12, 1), date(2026, 12, 1)),
])
def test_dates_in_the_forms_spreadsheets_hold(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "message"), [("2026-13-01", "not a date of the calendar"), ("12/01/2026", "not a date (YYYY-MM-DD)"),
                                               ("45678", "not a date (YYYY-MM-DD)")])
def test_what_is_not_a_date_says_so(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


@pytest.mark.parametrize(("value", "fen"), [("180", 18000), ("180.5", 18050), ("¥1,800.00", 180000), (12.25, 1225), ("0", 0)])
def test_yuan_amounts_become_integer_fen(value, fen):
    assert parse_fen(value, max_fen=10**9) == fen


@pytest.mark.parametrize("value", ["1.005", "-1", "abc", "NaN", "1e3000", "9" * 40])
def test_what_is_not_an_amount_says_so(value):
    with pytest.raises(ValueError):
        parse_fen(value, max_fen=10**9)


def test_whole_numbers_and_cells_as_text():
    assert (parse_int("12"), parse_int(3.0), cell_text(13800000000.0), cell_text("'=SUM(A1)"), cell_text(None)) == (12, 3, "13800000000", "=SUM(A1)", "")
    with pytest.raises(ValueError, match="not a whole number"):
        parse_int("1.5")


def test_csv_is_written_with_a_bom_and_formulas_behind_a_quote():
    assert to_csv(["a", "b"], [["=1+1", date(2026, 1, 2)], [None, "-x"]]) == "\ufeffa,b\r\n'=1+1,2026-01-02\r\n,'-x\r\n".encode()
