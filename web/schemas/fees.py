"""The fee of a parked car if it left at a given moment ("what do I owe if I leave at 18:00?").

The query names the plate and, optionally, the moment; the answer is what the exit lane would ask
then, with the lines of the quote that explain it. Money is in fen, with yuan as text for display.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields

from parking.plates import NoPlate, Plate, PlateError, parse

from .fields import BoundedText

# A "+" left unencoded in a query string arrives as a space: "…T18:00:00 08:00".
_SPACE_FOR_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
EXAMPLE_INSTANT = "2026-11-25T18:00:00+08:00"
# Moments the API prices or looks up: the years a car can be parked in, not the calendar's extremes.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class PlateField(BoundedText, fields.String):
    """A plate as read by a camera or typed by a person, parsed to a ``Plate`` (``粤b12345`` → ``粤B12345``)."""

    max_chars = 64  # what ``parking.plates.parse`` accepts as one read

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Plate:
        text = super()._deserialize(self._bounded(value), attr, data, **kwargs)
        try:
            plate = parse(text)
        except PlateError as error:
            raise ValidationError(str(error)) from None
        if isinstance(plate, NoPlate):
            raise ValidationError(
                f"{text!r} is a no-plate read; a fee is quoted for a plate, or for the virtual plate (无牌 + token) of a no-plate car"
            )
        return plate


class InstantField(BoundedText, fields.AwareDateTime):
    """An ISO 8601 date and time with its UTC offset, in the years ``FIRST_YEAR`` to ``LAST_YEAR``; a "+"
    that the query string turned into a space is read as "+"."""

    max_chars = 40  # "2026-11-25T18:00:00.123456+08:00" with room for spaces
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": f"Not a valid ISO 8601 date and time; expected e.g. {EXAMPLE_INSTANT}.",
        "invalid_awareness": f"No UTC offset; expected a date and time with one, e.g. {EXAMPLE_INSTANT}.",
        "out_of_range": f"Out of range; a date and time from {FIRST_YEAR} to {LAST_YEAR} is expected.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            value = _SPACE_FOR_PLUS.sub(r"\1+\2", self._bounded(value).strip())
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # the local year: checked before any conversion to UTC
            raise self.make_error("out_of_range")
        return moment


class FeeQuerySchema(Schema):
    plate = PlateField(required=True, metadata={"description": "The plate, e.g. 粤B12345", "example": "粤B12345"})
    at = InstantField(
        metadata={
            "description": "When the car would leave: ISO 8601 with a UTC offset (encode + as %2B); now when omitted",
            "example": EXAMPLE_INSTANT,
        },
    )


class FeeLineSchema(Schema):
    start = fields.AwareDateTime(dump_only=True, metadata={"description": "Start of the period this line prices, in the lot's time zone"})
    end = fields.AwareDateTime(dump_only=True)
    rate = fields.String(dump_only=True, metadata={"description": "The rate as published, e.g. 5元/次"})
    units = fields.Integer(dump_only=True)
    amount_fen = fields.Integer(dump_only=True, metadata={"description": "Negative for a discount, a cap or a benefit"})
    rule = fields.String(dump_only=True, metadata={"description": "The rule of the tariff that applied, in Chinese"})


class FeeQuoteSchema(Schema):
    plate = fields.String(dump_only=True, metadata={"description": "The plate as parsed"})
    lot_id = fields.Integer(dump_only=True)
    entry_at = fields.AwareDateTime(dump_only=True, metadata={"description": "Entry of the open session, in the lot's time zone"})
    at = fields.AwareDateTime(dump_only=True, metadata={"description": "The moment quoted, in the lot's time zone"})
    duration_minutes = fields.Integer(dump_only=True, metadata={"description": "Whole minutes billed: entry and exit floored to the minute"})
    due_fen = fields.Integer(dump_only=True, metadata={"description": "What the exit lane would ask at `at`, in fen (分); 0 when the car may leave"})
    due_yuan = fields.String(dump_only=True, metadata={"description": "due_fen in yuan, for display", "example": "12.50"})
    arrears_fen = fields.Integer(dump_only=True, metadata={"description": "The part of due_fen the plate owes from earlier stays (欠费)"})
    reason = fields.String(
        dump_only=True,
        metadata={"description": "whitelist | pass | free | paid | no_tariff | fee_due | needs_staff"},
    )
    vehicle_class = fields.String(dump_only=True, metadata={"description": "The session's class: temporary, monthly, visitor, …"})
    tariff = fields.String(dump_only=True, allow_none=True, metadata={"description": "Code of the tariff that priced the stay, or null"})
    lines = fields.List(fields.Nested(FeeLineSchema), dump_only=True, metadata={"description": "The quote's lines; empty when no tariff priced the stay"})
