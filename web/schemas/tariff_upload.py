"""Bodies and answers of tariff upload: a document previewed (its published text and sample fees) before
it is published as the next version, and the versions that may price a lot."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .fees import InstantField


class TariffUploadSchema(Schema):
    lot_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                            metadata={"description": "The lot it prices; null: every lot"})
    valid_from = InstantField(required=True, metadata={"description": "When it takes effect (ISO 8601 with a UTC offset), not in the past"})
    document = fields.Dict(required=True, metadata={"description": "The tariff document (see `parking fee --help` and the tariff JSON Schema)"})


class SampleQuoteSchema(Schema):
    label_zh = fields.String(data_key="label_zh-CN")
    label_en = fields.String()
    entry = fields.AwareDateTime()
    exit = fields.AwareDateTime()
    total_fen = fields.Integer(metadata={"description": "The fee in fen (分)"})
    needs_staff = fields.Boolean(metadata={"description": "The lane would ask an attendant to decide"})


class TariffPreviewSchema(Schema):
    code = fields.String()
    name = fields.String()
    next_version = fields.Integer(metadata={"description": "The version number publishing it would take"})
    valid_from = fields.AwareDateTime()
    text = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "The published text by language tag (zh-CN, en)"})
    samples = fields.List(fields.Nested(SampleQuoteSchema))


class PublishedVersionSchema(Schema):
    code = fields.String()
    version = fields.Integer()
    name = fields.String()
    lot_id = fields.Integer(allow_none=True)
    valid_from = fields.AwareDateTime()


class TariffVersionSchema(PublishedVersionSchema):
    state = fields.String(metadata={"description": "future | in_force | past"})
