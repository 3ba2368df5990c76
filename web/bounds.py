"""Bounds on every input, checked before a view, a form, a schema or the database reads it.

- **Ids in URLs.** The ``int`` URL converter takes ASCII digits only (``\\d`` would also take other
  scripts' digits) and never converts more of them than an id can have; a number outside
  ``1..MAX_ID`` (the range of an SQL integer id) is refused naming the URL's variable.
- **Query arguments and form fields.** At most ``MAX_FIELDS`` of them, names of at most
  ``MAX_NAME_CHARS`` characters, values of at most ``MAX_VALUE_CHARS``, no control character (tab and
  line breaks allowed in form fields) and no lone surrogate.
- **JSON bodies.** Parsed here once: a body that is not UTF-8 JSON, or holds NaN or Infinity, is a 400;
  nesting deeper than ``MAX_JSON_DEPTH``, more than ``MAX_JSON_ITEMS`` values, an integer outside a
  64-bit range, or a string or key breaking the rules above is a 422 naming the field's path
  (``plates[2]``, ``window.start``).

A refusal is the API's JSON error under ``/api/`` (``web.api.errors``) and a 400 page naming the field
elsewhere. Each schema then checks its own fields' ranges and lengths (``web.schemas.fields``).

Bodies larger than ``MAX_CONTENT_LENGTH`` are refused with 413 however they are framed: Werkzeug refuses
a declared length beyond it, but reading a body without one (chunked) merely stops at the limit and
hands the view the truncated part, so such a body is read here first and refused when it fills the limit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map, ValidationError

from .api.errors import ApiError, is_api_request

MAX_ID = 2**31 - 1  # SQL INTEGER, the type of every id column
MAX_FIELDS = 64
MAX_NAME_CHARS = 64
MAX_VALUE_CHARS = 2048
MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 10_000
MAX_JSON_STRING_CHARS = 16_384
JSON_INT_RANGE = (-(2**63), 2**63 - 1)
# Views that read their body as bytes and check it themselves: the payment platforms' notifications are
# JSON or forms in their own charsets, signed over the exact bytes (``web.public.pay_notify``).
RAW_BODY_ENDPOINTS = frozenset({"public.pay_notify"})

# Control characters but tab, LF and CR; DEL; the C1 controls; lone surrogates (only JSON can carry them).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_IN_ARGS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class InvalidInput(BadRequest):
    """A page's input out of bounds: the 400 page names ``field``."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(description=message)
        self.field = field


def refuse(field: str | None, message: str, code: int = 422) -> NoReturn:
    """Refuse the request: the API's error naming ``field``, or a 400 page naming it."""
    if is_api_request():
        raise ApiError(code, f"{field}: {message}" if field else message, field)
    raise InvalidInput(field, message)


def _printable_name(name: str) -> str | None:
    """``name`` as the error may quote it, or None when the name itself is what is wrong."""
    return name if len(name) <= MAX_NAME_CHARS and not _FORBIDDEN_IN_ARGS.search(name) else None


def check_text(field: str, value: str, *, limit: int = MAX_VALUE_CHARS, line_breaks: bool = True) -> None:
    if len(value) > limit:
        refuse(field, f"longer than {limit} characters")
    found = (_FORBIDDEN if line_breaks else _FORBIDDEN_IN_ARGS).search(value)
    if found:
        refuse(field, f"contains U+{ord(found.group()):04X}, a control character or lone surrogate, which no field may hold")


def _check_fields(items: Iterator[tuple[str, str]], *, where: str, line_breaks: bool) -> None:
    for count, (name, value) in enumerate(items, start=1):
        if count > MAX_FIELDS:
            refuse(None, f"more than {MAX_FIELDS} {where}")
        field = _printable_name(name)
        if field is None:
            refuse(None, f"a name among the {where} is longer than {MAX_NAME_CHARS} characters or holds a control character")
        check_text(field, value, line_breaks=line_breaks)


# -- ids in URLs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutOfRange:
    """A URL variable that is a number but not one an id can be; refused by name before the view runs."""

    text: str
    low: int
    high: int


class IdConverter(IntegerConverter):
    """``<int:lot_id>``: ASCII digits, as an id from 1 to ``MAX_ID`` unless the rule gives ``min``/``max``."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        self.low = 1 if min is None else min
        self.high = MAX_ID if max is None else max

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        digits = value.lstrip("-").lstrip("0")
        if len(digits) > len(str(max(abs(self.low), abs(self.high)))):
            return OutOfRange(value, self.low, self.high)
        number = int(value)
        if not self.low <= number <= self.high:
            return OutOfRange(value, self.low, self.high)
        return number


def _check_view_args(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for name, value in (values or {}).items():
        if isinstance(value, OutOfRange):
            refuse(name, f"must be an integer from {value.low} to {value.high}")
        # A code in the path (a payment's, a shift's...) never holds control characters; a NUL would
        # otherwise reach the database, which PostgreSQL refuses with an error rather than "not found".
        if isinstance(value, str) and _FORBIDDEN_IN_ARGS.search(value):
            refuse(name, "contains control characters", 400)


# -- JSON bodies ---------------------------------------------------------------------------------------


class _Huge(str):
    """An integer literal too long to be converted; refused by field once the body is parsed."""


def _parse_int(text: str) -> int | _Huge:
    return _Huge(text) if len(text.lstrip("-")) > 19 else int(text)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _check_json(document: Any) -> None:
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    items = 0
    while stack:
        path, value, depth = stack.pop()
        items += 1
        if items > MAX_JSON_ITEMS:
            refuse(None, f"the body holds more than {MAX_JSON_ITEMS} values")
        if depth > MAX_JSON_DEPTH:
            refuse(path or None, f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, _Huge) or (isinstance(value, int) and not isinstance(value, bool)
                                        and not JSON_INT_RANGE[0] <= value <= JSON_INT_RANGE[1]):
            refuse(path or None, f"integer out of range {JSON_INT_RANGE[0]}..{JSON_INT_RANGE[1]}")
        elif isinstance(value, float) and not math.isfinite(value):
            refuse(path or None, "number out of range")
        elif isinstance(value, str):
            check_text(path or "body", value, limit=MAX_JSON_STRING_CHARS)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = _printable_name(key)
                if name is None:
                    refuse(path or None, f"a key is longer than {MAX_NAME_CHARS} characters or holds a control character or lone surrogate")
                stack.append((_path(path, name), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((_path(path, i), item, depth + 1) for i, item in enumerate(value))


def _check_json_body() -> None:
    raw = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH: 413 beyond it
    if not raw.strip():
        return  # no body: the schema says what was required
    try:
        document = json.loads(raw.decode("utf-8"), parse_int=_parse_int, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        refuse(None, "the body is not valid JSON (UTF-8, RFC 8259)", code=400)
    _check_json(document)


# -- the hook ------------------------------------------------------------------------------------------


def _check_unframed_body() -> None:
    """A body without a declared length (chunked) that fills ``MAX_CONTENT_LENGTH`` was cut there: 413."""
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()


def check_request() -> None:
    """Refuse a request whose query, form or JSON body breaks the bounds (see the module's docstring)."""
    _check_fields(request.args.items(multi=True), where="query arguments", line_breaks=False)
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        _check_unframed_body()
        if request.endpoint in RAW_BODY_ENDPOINTS:
            return  # read whole by the view (a payment platform's signed notification), never parsed here
        if request.is_json and not is_api_request():
            # Console and sign-in forms take form encodings only; Flask-WTF would read a JSON array as
            # form fields and fail on it.
            refuse(None, "this page takes form fields (application/x-www-form-urlencoded or multipart/form-data), not JSON",
                   code=400)
        if request.is_json:
            _check_json_body()
        elif request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            _check_fields(request.form.items(multi=True), where="form fields", line_breaks=True)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_value_preprocessor(_check_view_args)
    app.before_request(check_request)
