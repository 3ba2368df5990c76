"""Reading and writing the spreadsheets operators exchange: CSV (UTF-8 with BOM as written; UTF-8 or GBK
as read, since Excel on Chinese Windows saves CSV as GBK) and Excel .xlsx (openpyxl).

Reading is defensive: a workbook that unpacks to more than ``MAX_XLSX_UNPACKED_BYTES`` (a zip bomb), a
foreign or damaged file, an old .xls, NUL bytes or undecodable text are a ``SpreadsheetError`` with a
message, never an exception from deep inside a parser. Cells are read as text (``cell_text``), dates
from date cells or ``YYYY-MM-DD``-like text, whole numbers, and yuan amounts to integer fen.

Writing never lets a cell run as a formula: text beginning with = + - or @ is written to CSV behind a
``'`` (``cell_text`` drops it again when the file comes back) and typed as text in .xlsx.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_XLSX_UNPACKED_BYTES = 64 * 1024 * 1024
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORMULA_START = ("=", "+", "-", "@")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?")


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read; ``code`` and ``params`` let a page say why in its language."""

    def __init__(self, message: str, code: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def detect_format(data: bytes, filename: str = "") -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0") or filename.lower().endswith(".xls"):
        raise SpreadsheetError("an Excel 97-2003 (.xls) file; save it as .xlsx or CSV", code="file_xls")
    return "csv"


def rows(data: bytes, filename: str = "") -> Iterator[Sequence[Any]]:
    """The rows of the first sheet of a CSV or .xlsx file, as lists of cell values."""
    return xlsx_rows(data) if detect_format(data, filename) == "xlsx" else csv_rows(data)


def csv_rows(data: bytes) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError("the CSV file is neither UTF-8 nor GBK text", code="file_encoding")
    if "\x00" in content:
        raise SpreadsheetError("the file holds NUL characters: it is not a CSV text file", code="file_binary")
    first = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        yield from csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise SpreadsheetError(f"the CSV file cannot be read: {exc}", code="file_csv") from None


def xlsx_rows(data: bytes) -> Iterator[Sequence[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError("not a readable .xlsx workbook", code="file_xlsx") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise SpreadsheetError(f"the workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)} MiB", code="file_too_big")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file; each means the same here
        raise SpreadsheetError("not a readable .xlsx workbook", code="file_xlsx") from None
    try:
        if not book.worksheets:
            return
        try:
            yield from book.worksheets[0].iter_rows(values_only=True)
        except Exception:
            raise SpreadsheetError("not a readable .xlsx workbook", code="file_xlsx") from None
    finally:
        book.close()


def cell_text(value: Any) -> str:
    """A cell as stripped text: whole floats without ".0", dates as YYYY-MM-DD, a formula guard dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        text = text[1:]
    return text


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.fullmatch(cell_text(value))
    if not match:
        raise ValueError("not a date (YYYY-MM-DD)")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError("not a date of the calendar") from None


def parse_int(value: Any, *, max_digits: int = 6) -> int:
    text = cell_text(value)
    if not (text.isascii() and text.isdigit() and len(text) <= max_digits):
        raise ValueError("not a whole number")
    return int(text)


def parse_fen(value: Any, *, max_fen: int) -> int:
    """An amount in yuan (``180``, ``180.5``, ``¥1,800.00``) as integer fen."""
    text = cell_text(value).lstrip("¥￥").replace(",", "")
    try:
        amount = Decimal(text) if len(text) <= 16 else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount.adjusted() > 15 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError("not an amount of yuan with at most 2 decimals")
    fen = int(amount * 100)
    if fen > max_fen:
        raise ValueError(f"more than {max_fen // 100} yuan")
    return fen


def format_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _guarded(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Sequence[str], body: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in body:
        writer.writerow(["" if v is None else _guarded(v.isoformat() if isinstance(v, date) else v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(header: Sequence[str], body: Sequence[Sequence[Any]], *, title: str, widths: Sequence[int] = (),
            created: datetime | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in body:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text begins with
            elif isinstance(cell.value, (date, datetime)):
                cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if created is not None:  # the same rows give the same workbook
        book.properties.created = book.properties.modified = created.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
