"""Validation of tariff documents (JSON) with marshmallow, and `load_tariff` building a `Tariff`.

Field-level checks (types, ranges, known names) are marshmallow's; checks across fields (bands tiling
each kind of day or brackets rising to their period, ladders in order, caps not below the first unit)
live in `parking.tariffs.consistency`. Every failure becomes one `TariffError` naming the field path.
The JSON Schema of the same document is `json_schema()`, generated from these marshmallow schemas by
`parking.tariffs.jsonschema`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from parking.tariffs.document import (
    BENEFIT_KINDS,
    DAY_SETS,
    VEHICLE_CLASSES,
    Band,
    Benefit,
    Bracket,
    Brackets,
    Cap,
    CouponPolicy,
    Crossing,
    FreePeriod,
    FullDay,
    NoEntryRecord,
    Opening,
    PartUnit,
    PassOffer,
    Rate,
    Step,
    Tariff,
    Text,
    VehicleClass,
)
from parking.tariffs.errors import TariffError
from parking.tariffs.jsonschema import schema_of

__all__ = ["FORMAT", "TariffSchema", "json_schema", "load_tariff"]

FORMAT = "parking-tariff/1"
_NAME = r"^[a-z][a-z0-9_]*$"
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


def _minutes(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, error="must be at least {min} minute"), **kw)


def _fen(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, error="must not be negative"), **kw)


def _choice(options: tuple[str, ...] | list[str], **kw: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(options, error="must be one of {choices}, not {input!r}"), **kw)


def _name(**kw: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(_NAME, error="must be lower-case letters, digits and _"), **kw)


def _clock(**kw: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(_CLOCK, error="must be a time of day HH:MM"), **kw)


def _minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class TextSchema(Schema):
    zh = fields.String(required=True, data_key="zh-CN")
    en = fields.String(required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> Text:
        return Text(**data)


class StepSchema(Schema):
    up_to_minutes = _minutes(load_default=None, allow_none=True)
    unit_minutes = _minutes(required=True)
    unit_fen = _fen(required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> Step:
        return Step(data["up_to_minutes"], data["unit_minutes"], data["unit_fen"])


class RateSchema(Schema):
    steps = fields.List(fields.Nested(StepSchema), required=True, validate=validate.Length(min=1))


class BandSchema(Schema):
    id = _name(required=True)
    name = fields.Nested(TextSchema, required=True)
    days = _choice(list(DAY_SETS), load_default="every_day")
    start = _clock(required=True)
    end = _clock(required=True)
    rate = fields.String(required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> Band:
        end = _minute_of_day(data["end"]) % 1440
        return Band(data["id"], data["name"], data["days"], _minute_of_day(data["start"]) % 1440, end, data["rate"])


class BracketSchema(Schema):
    up_to_minutes = _minutes(required=True)
    fen = _fen(required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> Bracket:
        return Bracket(data["up_to_minutes"], data["fen"])


class BracketsSchema(Schema):
    period_minutes = _minutes(load_default=1440)
    per_period_fen = _fen(required=True)
    items = fields.List(fields.Nested(BracketSchema), required=True, validate=validate.Length(min=1))
    overstay = _choice(("restart", "whole_stay_cap"), load_default="restart")

    @post_load
    def make(self, data: dict, **_: Any) -> Brackets:
        return Brackets(data["period_minutes"], tuple(data["items"]), data["per_period_fen"], data["overstay"])


class PartUnitSchema(Schema):
    rounding = _choice(("up", "down", "threshold"), load_default="up")
    free_minutes = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))

    @post_load
    def make(self, data: dict, **_: Any) -> PartUnit:
        return PartUnit(**data)


class CrossingSchema(Schema):
    rule = _choice(("split", "entry_band", "unit_start_band", "short_at_earlier"), load_default="split")
    minutes = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    scope = _choice(("tail", "every"), load_default="tail")

    @post_load
    def make(self, data: dict, **_: Any) -> Crossing:
        return Crossing(**data)


class FreePeriodSchema(Schema):
    minutes = _minutes(required=True)
    mode = _choice(("counted", "deducted"), load_default="counted")
    per = _choice(("stay", "day"), load_default="stay")

    @post_load
    def make(self, data: dict, **_: Any) -> FreePeriod:
        return FreePeriod(**data)


class OpeningSchema(Schema):
    minutes = _minutes(required=True)
    fen = _fen(required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> Opening:
        return Opening(**data)


class CapAmount(fields.Field):
    """A cap in fen: one amount, or a list of rising amounts for day 1, 2, 3 and later."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> tuple[int, ...]:
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            raise ValidationError("must be an amount in fen or a non-empty list of amounts in fen")
        if any(v < 0 for v in items):
            raise ValidationError("must not be negative")
        return tuple(items)

    def json_schema(self) -> dict[str, Any]:
        """Its JSON Schema, for `parking.tariffs.jsonschema`."""
        amount = {"type": "integer", "minimum": 0}
        return {"anyOf": [amount, {"type": "array", "items": amount, "minItems": 1}]}


class CapSchema(Schema):
    per = _choice(("calendar_day", "window_24h", "band"), required=True)
    fen = CapAmount(required=True)
    band = fields.String(load_default=None)
    cumulative = fields.Boolean(load_default=False)
    shared = fields.Boolean(load_default=False)

    @post_load
    def make(self, data: dict, **_: Any) -> Cap:
        return Cap(**data)


class FullDaySchema(Schema):
    hours = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=24))
    band = fields.String(required=True)
    reading = _choice(("cap", "flat"), load_default="cap")

    @post_load
    def make(self, data: dict, **_: Any) -> FullDay:
        return FullDay(**data)


class VehicleClassSchema(Schema):
    rates = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    factor_percent = fields.Integer(strict=True, load_default=100, validate=validate.Range(min=0, max=1000))
    factor_scope = _choice(("fee", "units"), load_default="fee")


class BenefitSchema(Schema):
    id = _name(required=True)
    kind = _choice(BENEFIT_KINDS, required=True)
    name = fields.Nested(TextSchema, required=True)
    free_minutes = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    free_mode = _choice(("deducted", "counted"), load_default="deducted")
    free_per = _choice(("stay", "day", "first_stay_of_day"), load_default="stay")
    percent_off = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100))
    excludes_pass_holders = fields.Boolean(load_default=False)

    @post_load
    def make(self, data: dict, **_: Any) -> Benefit:
        return Benefit(**data)


class CouponPolicySchema(Schema):
    kinds = fields.List(_choice(("minutes", "amount", "percent", "free")), required=True)
    max_count = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    max_minutes = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    max_fen = _fen(load_default=0)

    @post_load
    def make(self, data: dict, **_: Any) -> CouponPolicy:
        return CouponPolicy(frozenset(data.pop("kinds")), **data)


class NoEntryRecordSchema(Schema):
    action = _choice(("flat", "staff"), required=True)
    fen = _fen(load_default=0)

    @post_load
    def make(self, data: dict, **_: Any) -> NoEntryRecord:
        return NoEntryRecord(**data)


class PassOfferSchema(Schema):
    name = fields.Nested(TextSchema, required=True)
    fen = _fen(required=True)
    period = _choice(("month", "quarter", "year"), load_default="month")

    @post_load
    def make(self, data: dict, **_: Any) -> PassOffer:
        return PassOffer(**data)


class TariffSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal(FORMAT, error="must be {other!r}"))
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.Nested(TextSchema, required=True)
    note = fields.Nested(TextSchema, load_default=None)
    source = fields.String(load_default="")
    time_zone = fields.String(load_default="Asia/Shanghai")
    rates = fields.Dict(keys=_name(), values=fields.Nested(RateSchema), load_default=dict)
    bands = fields.List(fields.Nested(BandSchema), load_default=list)
    brackets = fields.Nested(BracketsSchema, load_default=None)
    part_unit = fields.Nested(PartUnitSchema, load_default=lambda: PartUnit())
    crossing = fields.Nested(CrossingSchema, load_default=lambda: Crossing())
    free_period = fields.Nested(FreePeriodSchema, load_default=None)
    opening = fields.Nested(OpeningSchema, load_default=None)
    caps = fields.List(fields.Nested(CapSchema), load_default=list)
    full_day = fields.Nested(FullDaySchema, load_default=None)
    restart_after_24h = fields.Boolean(load_default=False)
    classes = fields.Dict(
        keys=_choice(VEHICLE_CLASSES),
        values=fields.Nested(VehicleClassSchema),
        required=True,
        validate=validate.Length(min=1, error="must price at least one vehicle class"),
    )
    benefits = fields.List(fields.Nested(BenefitSchema), load_default=list)
    grace_minutes = fields.Integer(strict=True, load_default=15, validate=validate.Range(min=0))
    reentry_minutes = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    no_entry_record = fields.Nested(NoEntryRecordSchema, load_default=None)
    coupons = fields.Nested(CouponPolicySchema, load_default=None)
    final_rounding = _choice(("fen", "yuan_half_up"), load_default="fen")
    passes = fields.List(fields.Nested(PassOfferSchema), load_default=list)


def _first_error(messages: Any, path: str = "") -> tuple[str, str]:
    """The first (field path, problem) in marshmallow's nested error messages."""
    if isinstance(messages, list):
        first = messages[0]
        return (path, first) if isinstance(first, str) else _first_error(first, path)
    if isinstance(messages, Mapping):
        key, value = min(messages.items(), key=lambda kv: (0, kv[0], "") if isinstance(kv[0], int) else (1, 0, str(kv[0])))
        if key == "_schema":
            return _first_error(value, path)
        if isinstance(key, int):
            return _first_error(value, f"{path}[{key}]")
        here = f"{path}.{key}" if path else str(key)
        # a dict field reports {"<key>": {"key": [...]}} or {"<key>": {"value": {...}}}
        if isinstance(value, Mapping) and value and set(value) <= {"key", "value"}:
            return _first_error(value.get("key") or value["value"], here)
        return _first_error(value, here)
    return path, str(messages)


def load_tariff(doc: Mapping[str, Any]) -> Tariff:
    """Validate a tariff document and build the `Tariff`; raises `TariffError` naming the field."""
    from parking.tariffs.consistency import check

    if not isinstance(doc, Mapping):
        raise TariffError("", "a tariff document must be a JSON object")
    try:
        data = TariffSchema().load(dict(doc))
    except ValidationError as error:
        field, problem = _first_error(error.messages)
        raise TariffError(re.sub(r"^\.", "", field), problem.rstrip(".")) from None
    rates = {rid: Rate(rid, tuple(r["steps"])) for rid, r in data["rates"].items()}
    classes = {name: VehicleClass(name, **spec) for name, spec in data["classes"].items()}
    tariff = Tariff(
        id=data["id"],
        name=data["name"],
        note=data["note"],
        time_zone=data["time_zone"],
        rates=rates,
        bands=tuple(data["bands"]),
        brackets=data["brackets"],
        part_unit=data["part_unit"],
        crossing=data["crossing"],
        free=data["free_period"],
        opening=data["opening"],
        caps=tuple(data["caps"]),
        full_day=data["full_day"],
        restart_after_24h=data["restart_after_24h"],
        classes=classes,
        benefits=tuple(data["benefits"]),
        grace_minutes=data["grace_minutes"],
        reentry_minutes=data["reentry_minutes"],
        no_entry_record=data["no_entry_record"],
        coupons=data["coupons"],
        final_rounding=data["final_rounding"],
        passes=tuple(data["passes"]),
        document=dict(doc),
    )
    check(tariff)
    return tariff


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a tariff document, generated from `TariffSchema`."""
    return schema_of(TariffSchema(), title="Parking tariff document", id_="https://parking.example/tariff-1.json")
