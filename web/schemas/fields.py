"""Bounded fields for the API's query and body schemas: a value's length or size is checked on its text,
before it is converted, so no field ever parses, stores or echoes an oversized value.

- ``BoundedInteger``: ASCII digits (an optional sign), within ``min..max`` (``Range``); a number with
  more digits than ``max`` has is refused with the same message, without converting it.
- ``Id``: an id, ``1..MAX_ID`` (SQL INTEGER). ``PageNumber`` and ``PerPage``: paging.
- ``BoundedText``: a mixin for string fields whose conversion does work (a plate, an instant): the text
  is at most ``max_chars`` long before that work starts.
"""

from __future__ import annotations

import math
import re
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..bounds import MAX_ID

MAX_PAGE = 100_000
_INTEGER = re.compile(r"[+-]?[0-9]+")


class BoundedInteger(fields.Integer):
    def __init__(self, *, min: int, max: int, **kwargs: Any) -> None:
        self.range = validate.Range(min=min, max=max)
        super().__init__(validate=self.range, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.make_error("invalid")
        if isinstance(value, float):  # from a JSON body: 3.0 is 3, 3.5 is not an integer
            if not (math.isfinite(value) and value.is_integer()):
                raise self.make_error("invalid")
            self.range(value)
            value = int(value)
        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            raise self.make_error("invalid")
        digits = text.lstrip("+-").lstrip("0")
        widest = max(len(str(abs(self.range.min))), len(str(abs(self.range.max))))
        if len(digits) > widest:  # far outside the range: say so without converting it
            self.range(-(10**widest) if text.startswith("-") else 10**widest)
        return super()._deserialize(int(text), attr, data, **kwargs)


class Id(BoundedInteger):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min=1, max=MAX_ID, **kwargs)


class PageNumber(BoundedInteger):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", 1)
        kwargs.setdefault("metadata", {"description": f"Page to show, from 1 to {MAX_PAGE}; past the last page, items is empty"})
        super().__init__(min=1, max=MAX_PAGE, **kwargs)


class PerPage(BoundedInteger):
    def __init__(self, *, max_per_page: int, default: int, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": f"Items per page, from 1 to {max_per_page}"})
        super().__init__(min=1, max=max_per_page, load_default=default, **kwargs)


class BoundedText:
    """Mixin for a ``fields.String`` subclass: refuse text longer than ``max_chars`` before converting it."""

    max_chars: int = 256

    def _bounded(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.max_chars:
            raise ValidationError(f"Longer than {self.max_chars} characters.")
        return value
