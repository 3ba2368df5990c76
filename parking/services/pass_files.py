"""Passes as a spreadsheet: import from and export to CSV (UTF-8 with BOM, which Excel opens as such) and
Excel .xlsx (openpyxl).

Columns. The first row names them, in Chinese as exported or by their English keys; their order is free;
a column not in this list is an error naming it. Required: lot, product, holder, plates, valid_from, and
periods or valid_until.

    key          header     import
    id           编号        ignored (export only)
    lot          停车场      the lot's code or name
    product      产品        the product's code or name in that lot (月卡, 季卡, 年卡, 产权车位, 企业包位...)
    holder       持有人      the holder's name
    household    房号        e.g. 3栋502
    phone        电话        digits, +, -, spaces
    plates       车牌        one or more plates separated by ";" "," "、" "/" or spaces
    valid_from   开始日期    YYYY-MM-DD (or YYYY/MM/DD, or a date cell): the pass starts at local midnight
    periods      期数        whole periods of the product from valid_from
    valid_until  结束日期    YYYY-MM-DD, the last valid day: without periods, the validity ends after it;
                             with periods, it must be the day the periods end on
    price        金额(元)    what was paid, in yuan with at most 2 decimals; blank: periods × the product's price
    status       状态        ignored (export only)
    days_left    剩余天数    ignored (export only)
    note         备注

Import checks every row and reports each problem with its row number (the header is row 1), its column
(as the file names it) and what is wrong; when any row has a problem nothing is written. A row that
describes a pass already there (same lot, holder, plates, product and valid_from), or a row repeated in
the file, is that pass and is left as it is, so importing a file twice adds nothing. The rows are
written in one transaction, each audited as ``pass.issue`` (plus one ``pass.import``), and each lot's
plate facts are rebuilt once. Cells that begin with = + - or @ are exported behind a ' (Excel would run
them as formulas) and read back without it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import pass_terms
from ..models import Lot, ParkingPass, PassProduct
from ..occupancy import OccupancyStore
from ..passes import PassFact, overlapping
from . import audit, lot_facts, pass_queries, spreadsheets
from .config_changes import ConfigChangeError
from .fact_changes import lot_policy, publish, text, writing
from .pass_products import MAX_PRICE_FEN
from .passes import (
    HOLDER_MAX_CHARS, HOUSEHOLD_MAX_CHARS, MAX_PERIODS, NOTE_MAX_CHARS, PHONE, PHONE_MAX_CHARS, Holder, check_periods, check_plates,
    check_start, new_pass, snapshot,
)
from .spreadsheets import FORMATS, SpreadsheetError, cell_text, parse_date, parse_fen, parse_int

MAX_ROWS = 5000
MAX_CELL_CHARS = 1000


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header exported
    aliases: tuple[str, ...] = ()
    export_only: bool = False


COLUMNS = (
    Column("id", "编号", export_only=True),
    Column("lot", "停车场", ("停车场编号",)),
    Column("product", "产品", ("卡类型", "月卡产品")),
    Column("holder", "持有人", ("车主", "姓名")),
    Column("household", "房号", ("住户", "房间号")),
    Column("phone", "电话", ("手机", "手机号", "联系电话")),
    Column("plates", "车牌", ("车牌号", "车牌号码")),
    Column("valid_from", "开始日期", ("生效日期", "起始日期")),
    Column("periods", "期数", ()),
    Column("valid_until", "结束日期", ("到期日期", "截止日期")),
    Column("price", "金额(元)", ("金额（元）", "金额", "price_yuan")),
    Column("status", "状态", export_only=True),
    Column("days_left", "剩余天数", export_only=True),
    Column("note", "备注", ()),
)
REQUIRED = ("lot", "product", "holder", "plates", "valid_from")
STATUS_LABELS = {
    "zh": {"valid": "有效", "grace": "宽限期", "expired": "已过期", "not_yet": "未生效", "suspended": "已暂停", "ended": "已终止"},
    "en": {s: s for s in pass_terms.STATUSES},
}
_BY_NAME = {name.casefold(): c for c in COLUMNS for name in (c.key, c.header, *c.aliases)}
_PLATE_SEPARATORS = re.compile(r"[;；,，、/\s]+")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: ``row`` as the spreadsheet numbers it (the header is 1), ``column`` as the file names it."""

    row: int
    column: str
    message: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    pass_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


PassFileError = SpreadsheetError  # the file as a whole cannot be read


# -- import -------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]


@dataclass
class _Candidate:
    row: int
    parking_pass: ParkingPass
    plates: list[str]
    periods: int | None
    column: str  # where an overlap is reported


def _header(cells: Sequence[Any], report: ImportReport) -> dict[int, Column]:
    columns: dict[int, Column] = {}
    seen: dict[str, str] = {}
    for index, raw in enumerate(cells):
        name = cell_text(raw).lstrip("\ufeff").strip()
        if not name:
            continue
        column = _BY_NAME.get(name.casefold())
        if column is None:
            known = "、".join(c.header for c in COLUMNS)
            report.errors.append(RowError(1, name, f"unknown column; the columns are {', '.join(c.key for c in COLUMNS)} ({known})",
                                          "column_unknown", {"column": name}))
            continue
        if column.key in seen:
            report.errors.append(RowError(1, name, f"the same column as {seen[column.key]!r}", "column_duplicate", {"other": seen[column.key]}))
            continue
        seen[column.key] = name
        columns[index] = column
    for key in REQUIRED:
        if key not in seen:
            column = next(c for c in COLUMNS if c.key == key)
            report.errors.append(RowError(1, column.header, f"the column {column.header} ({key}) is missing", "column_missing", {"column": column.header}))
    if "periods" not in seen and "valid_until" not in seen:
        report.errors.append(RowError(1, "期数", "a column 期数 (periods) or 结束日期 (valid_until) is needed", "column_periods_missing"))
    return columns


def read_rows(data: bytes, filename: str = "") -> tuple[dict[str, str], list[_Row], ImportReport]:
    """The header (key -> the name the file uses) and the non-blank rows, or a report of what is wrong with the header."""
    rows_iter = spreadsheets.rows(data, filename)
    report = ImportReport()
    columns: dict[int, Column] | None = None
    names: dict[str, str] = {}
    rows: list[_Row] = []
    for number, cells in enumerate(rows_iter, start=1):
        if columns is None:
            columns = _header(cells, report)
            names = {c.key: cell_text(cells[i]).lstrip("\ufeff").strip() for i, c in columns.items()}
            continue
        if all(cell_text(c) == "" for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise PassFileError(f"more than {MAX_ROWS} rows; split the file", code="file_too_many_rows", max=MAX_ROWS)
        values: dict[str, Any] = {}
        for index, value in enumerate(cells):
            column = columns.get(index)
            if column is None:
                if cell_text(value):
                    report.errors.append(RowError(number, f"#{index + 1}", "a value in a column without a header", "cell_without_header",
                                                  {"index": index + 1}))
                continue
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                report.errors.append(RowError(number, names[column.key], f"longer than {MAX_CELL_CHARS} characters", "too_long", {"max": MAX_CELL_CHARS}))
                continue
            values[column.key] = value
        rows.append(_Row(number, values))
    if columns is None:
        report.errors.append(RowError(1, "", "the file is empty: the first row must name the columns", "file_empty"))
    report.rows = len(rows)
    return names, rows, report


class _Lookup:
    """Lots, products and the passes already there, loaded once for the whole file."""

    def __init__(self, db: Session, lot_ids: Collection[int] | None = None) -> None:
        self.lots: dict[str, Lot] = {}
        query = select(Lot).options(selectinload(Lot.site)).order_by(Lot.id)
        if lot_ids is not None:  # an operator bound to sites imports into their lots only
            query = query.where(Lot.id.in_(sorted(lot_ids)))
        for lot in db.scalars(query):
            self.lots.setdefault(lot.code.casefold(), lot)
            self.lots.setdefault(lot.name.casefold(), lot)
        self.products: dict[tuple[int, str], PassProduct] = {}
        for product in db.scalars(select(PassProduct).order_by(PassProduct.id)):
            self.products.setdefault((product.lot_id, product.code.casefold()), product)
            self.products.setdefault((product.lot_id, product.name.casefold()), product)
        self._db = db
        self._loaded: set[int] = set()
        self.keys: dict[tuple[Any, ...], int] = {}
        # (lot, plate) -> the live passes and the rows before, with what names them in a report
        self.facts: dict[tuple[int, str], list[tuple[PassFact, dict[str, Any]]]] = defaultdict(list)

    def load_lot(self, lot_id: int) -> None:
        if lot_id in self._loaded:
            return
        self._loaded.add(lot_id)
        for p in self._db.scalars(select(ParkingPass).where(ParkingPass.lot_id == lot_id).options(selectinload(ParkingPass.plates))):
            plates = frozenset(pp.plate for pp in p.plates)
            self.keys[identity(p.lot_id, p.product_id, p.holder, p.valid_from, plates)] = p.id
            if p.active:
                for plate in plates:
                    self.facts[(lot_id, plate)].append((lot_facts.pass_fact(p), {"pass_id": p.id, "holder": p.holder}))


def column_name(names: dict[str, str], key: str) -> str:
    """The column ``key`` as the file names it, or as a file in the language of its header would."""
    if key in names:
        return names[key]
    english = bool(names) and all(name.casefold() == k for k, name in names.items())
    return key if english else next(c.header for c in COLUMNS if c.key == key)


def identity(lot_id: int, product_id: int | None, holder: str, valid_from: datetime, plates: Iterable[str]) -> tuple[Any, ...]:
    """What makes two passes the same pass for an import."""
    return (lot_id, product_id, holder.strip(), valid_from.timestamp(), frozenset(plates))


def _row_pass(row: _Row, names: dict[str, str], lookup: _Lookup, now: datetime, report: ImportReport) -> _Candidate | None:
    errors: list[RowError] = []

    def fail(key: str, message: str, code: str = "", **params: Any) -> None:
        errors.append(RowError(row.number, column_name(names, key), message, code, params))

    cells = {key: cell_text(value) for key, value in row.cells.items()}
    lot = lookup.lots.get(cells.get("lot", "").casefold()) if cells.get("lot") else None
    if not cells.get("lot"):
        fail("lot", "is required", "required")
    elif lot is None:
        fail("lot", f"no lot {cells['lot']!r} (a lot's code or name)", "lot_unknown_name", lot=cells["lot"])
    product = None
    if not cells.get("product"):
        fail("product", "is required", "required")
    elif lot is not None:
        product = lookup.products.get((lot.id, cells["product"].casefold()))
        if product is None:
            fail("product", f"lot {lot.code} has no product {cells['product']!r}", "product_unknown_name", product=cells["product"], lot=lot.code)
        elif not product.active:
            fail("product", f"product {product.code} is withdrawn from sale", "product_withdrawn", product=product.code)
            product = None
    texts: dict[str, str] = {}
    for key, limit in (("holder", HOLDER_MAX_CHARS), ("household", HOUSEHOLD_MAX_CHARS), ("phone", PHONE_MAX_CHARS), ("note", NOTE_MAX_CHARS)):
        try:
            texts[key] = text(key, cells.get(key, ""), limit, required=key == "holder")
        except ConfigChangeError as exc:
            fail(key, exc.message, exc.code, **exc.params)
    if "phone" in texts and not PHONE.fullmatch(texts["phone"]):
        fail("phone", f"{texts['phone']!r} is not a phone number (digits, +, -, spaces)", "phone_invalid")
        del texts["phone"]
    holder = Holder(texts["holder"], texts["phone"], texts["household"], texts["note"]) if len(texts) == 4 else None
    plates: list[str] | None = None
    raw_plates = [p for p in _PLATE_SEPARATORS.split(cells.get("plates", "")) if p]
    try:
        plates = check_plates(raw_plates, product.spaces if product is not None else 1)
    except ConfigChangeError as exc:
        fail("plates", exc.message, exc.code, **exc.params)
    start = until = None
    periods: int | None = None
    if not cells.get("valid_from"):
        fail("valid_from", "is required", "required")
    else:
        try:
            start = check_start(parse_date(row.cells["valid_from"]))
        except ConfigChangeError as exc:
            fail("valid_from", exc.message, exc.code, **exc.params)
        except ValueError as exc:
            fail("valid_from", str(exc), "date_invalid")
    if cells.get("periods"):
        try:
            periods = check_periods(parse_int(row.cells["periods"]))
        except ConfigChangeError as exc:
            fail("periods", exc.message, exc.code, **exc.params)
        except ValueError as exc:
            fail("periods", str(exc), "integer_invalid")
    if cells.get("valid_until"):
        try:
            until = check_start(parse_date(row.cells["valid_until"]))
        except ConfigChangeError as exc:
            fail("valid_until", exc.message, exc.code, **exc.params)
        except ValueError as exc:
            fail("valid_until", str(exc), "date_invalid")
    elif not cells.get("periods"):
        fail("periods", "periods or valid_until is required", "periods_or_until")
    price: int | None = None
    if cells.get("price"):
        try:
            price = parse_fen(row.cells["price"], max_fen=MAX_PRICE_FEN * MAX_PERIODS)
        except ValueError as exc:
            fail("price", str(exc), "amount_invalid")
    if errors or lot is None or product is None or holder is None or plates is None or start is None:
        report.errors.extend(errors)
        return None

    tz = ZoneInfo(lot.timezone or lot.site.timezone)
    if periods is not None:
        validity = pass_terms.term(start, product.period_months, periods, product.price_fen, tz)
        if until is not None and until != (validity.valid_until - timedelta(days=1)).astimezone(tz).date():
            last = (validity.valid_until - timedelta(days=1)).astimezone(tz).date()
            fail("valid_until", f"{periods} periods from {start.isoformat()} end on {last.isoformat()}, not {until.isoformat()}",
                 "until_mismatch", last=last.isoformat())
    else:
        assert until is not None
        if until < start:
            fail("valid_until", f"{until.isoformat()} is before the start {start.isoformat()}", "until_before_start")
            report.errors.extend(errors)
            return None
        end = until + timedelta(days=1)
        months = (end.year - start.year) * 12 + end.month - start.month
        whole = months // product.period_months if months > 0 and months % product.period_months == 0 else 0
        if whole and pass_terms.add_months(start, months) == end:
            periods = whole
        elif price is None:
            fail("price", f"{start.isoformat()} to {until.isoformat()} is not a whole number of periods of {product.code}; give the amount paid",
                 "price_required", product=product.code)
        validity = pass_terms.Term(pass_terms.local_midnight(start, tz), pass_terms.local_midnight(end, tz),
                                   product.price_fen * (periods or 0))
    if price is not None:
        validity = pass_terms.Term(validity.valid_from, validity.valid_until, price)
    if errors:
        report.errors.extend(errors)
        return None
    candidate = new_pass(product, holder, plates, validity, now)
    return _Candidate(row.number, candidate, plates, periods, column_name(names, "plates"))


def _check_overlaps(candidates: list[_Candidate], lookup: _Lookup, report: ImportReport) -> list[_Candidate]:
    """Drop the rows that are passes already there (or repeat an earlier row); report the overlaps."""
    fresh: list[_Candidate] = []
    seen: dict[tuple[Any, ...], int] = {}
    for c in candidates:
        p = c.parking_pass
        key = identity(p.lot_id, p.product_id, p.holder, p.valid_from, c.plates)
        if key in lookup.keys or key in seen:
            report.unchanged += 1
            continue
        seen[key] = c.row
        fact = lot_facts.pass_fact(p)
        for plate in c.plates:
            clash = next(((other, whose) for other, whose in lookup.facts[(p.lot_id, plate)] if overlapping(fact, other)), None)
            if clash is not None:
                other, whose = clash
                label = f"pass {whose['pass_id']} ({whose['holder']})" if "pass_id" in whose else f"row {whose['row']}"
                params = {"plate": plate, "valid_from": f"{other.valid_from:%Y-%m-%d}", "valid_until": f"{other.valid_until:%Y-%m-%d}", **whose}
                report.errors.append(RowError(
                    c.row, c.column, f"plate {plate} already has {label} valid {params['valid_from']} to {params['valid_until']} in the same zone",
                    "plate_overlap" if "pass_id" in whose else "plate_overlap_row", params))
                break
        for plate in c.plates:
            lookup.facts[(p.lot_id, plate)].append((fact, {"row": c.row}))
        fresh.append(c)
    return fresh


def import_passes(db: Session, store: OccupancyStore, data: bytes, *, filename: str = "", operator_id: int | None, now: datetime,
                  dry_run: bool = False, lot_ids: Collection[int] | None = None) -> ImportReport:
    """Check every row of a CSV or .xlsx file and, when none has a problem (and not ``dry_run``), create
    the passes that are not there yet in one transaction. Rows may name only the lots of ``lot_ids`` (all
    when None). ``SpreadsheetError`` when the file itself cannot be read."""
    names, rows, report = read_rows(data, filename)
    report.dry_run = dry_run
    lookup = _Lookup(db, lot_ids)
    candidates = []
    for row in rows:
        candidate = _row_pass(row, names, lookup, now, report)
        if candidate is not None:
            candidates.append(candidate)
    for lot_id in sorted({c.parking_pass.lot_id for c in candidates}):
        lookup.load_lot(lot_id)
        lot = db.get(Lot, lot_id)
        assert lot is not None
        try:
            lot_policy(lot)
        except ConfigChangeError as exc:
            report.errors.append(RowError(next(c.row for c in candidates if c.parking_pass.lot_id == lot_id), column_name(names, "lot"),
                                          exc.message, exc.code, exc.params))
    fresh = _check_overlaps(candidates, lookup, report)
    report.errors.sort(key=lambda e: e.row)
    if report.errors or dry_run:
        report.created = len(fresh) if not report.errors else 0
        return report
    with writing(db):
        db.add_all(c.parking_pass for c in fresh)
        db.flush()
        for c in fresh:
            audit.record(db, "pass.issue", operator_id=operator_id, target=f"pass {c.parking_pass.id}", at=now,
                         after=snapshot(c.parking_pass), periods=c.periods, charged_fen=c.parking_pass.price_fen, source="import", row=c.row)
        audit.record(db, "pass.import", operator_id=operator_id, target=(filename or "passes")[:100], at=now,
                     rows=report.rows, created=len(fresh), unchanged=report.unchanged)
        db.commit()
    report.created, report.written = len(fresh), True
    report.pass_ids = [c.parking_pass.id for c in fresh]
    publish(db, store, {c.parking_pass.lot_id for c in fresh}, now)
    return report


# -- export -------------------------------------------------------------------------------------------


def _whole_periods(p: ParkingPass, product: PassProduct | None, tz: Any) -> int | None:
    if product is None:
        return None
    start = p.valid_from.astimezone(tz)
    end = p.valid_until.astimezone(tz)
    if start.time() != datetime.min.time() or end.time() != datetime.min.time():
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if months <= 0 or months % product.period_months or pass_terms.add_months(start.date(), months) != end.date():
        return None
    return months // product.period_months


def export_rows(db: Session, now: datetime, *, lot_id: int | None = None, lot_ids: Sequence[int] | None = None,
                language: str = "zh") -> list[dict[str, Any]]:
    """Every pass (of a lot, or of ``lot_ids``) as a row keyed by column key, in the order of ``COLUMNS``."""
    passes = list(db.scalars(pass_queries.search(now=now, lot_id=lot_id, lot_ids=lot_ids)))
    products = {p.id: p for p in db.scalars(select(PassProduct))}
    labels = STATUS_LABELS["en" if language == "en" else "zh"]
    out = []
    for row in pass_queries.rows(db, passes, now):
        p = row.parking_pass
        product = products.get(p.product_id) if p.product_id is not None else None
        out.append({
            "id": p.id, "lot": p.lot.code, "product": product.code if product else "", "holder": p.holder, "household": p.household,
            "phone": p.phone, "plates": ";".join(sorted(pp.plate for pp in p.plates)),
            "valid_from": row.first_day, "periods": _whole_periods(p, product, row.tz),
            "valid_until": row.last_day, "price": spreadsheets.format_yuan(p.price_fen),
            "status": labels[row.status.state], "days_left": row.status.days_left, "note": p.note,
        })
    return out


def headers(language: str = "zh") -> list[str]:
    return [c.key if language == "en" else c.header for c in COLUMNS]


WIDTHS = {"id": 8, "lot": 16, "product": 12, "holder": 20, "household": 12, "phone": 16, "plates": 28, "valid_from": 12,
          "periods": 6, "valid_until": 12, "price": 10, "status": 8, "days_left": 8, "note": 24}


def to_csv(rows: Sequence[dict[str, Any]], language: str = "zh") -> bytes:
    return spreadsheets.to_csv(headers(language), [[row[c.key] for c in COLUMNS] for row in rows])


def to_xlsx(rows: Sequence[dict[str, Any]], language: str = "zh", *, now: datetime | None = None) -> bytes:
    return spreadsheets.to_xlsx(headers(language), [[row[c.key] for c in COLUMNS] for row in rows], title="passes" if language == "en" else "月卡",
                                widths=[WIDTHS[c.key] for c in COLUMNS], created=now)


def export(db: Session, now: datetime, fmt: str, *, lot_id: int | None = None, lot_ids: Sequence[int] | None = None,
           language: str = "zh") -> bytes:
    if fmt not in FORMATS:
        raise ConfigChangeError("format", f"{fmt!r} is not one of {', '.join(FORMATS)}", code="format_invalid")
    rows = export_rows(db, now, lot_id=lot_id, lot_ids=lot_ids, language=language)
    return to_csv(rows, language) if fmt == "csv" else to_xlsx(rows, language, now=now)
