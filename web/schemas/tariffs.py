"""The tariff that prices a lot, as published (明码标价): its version, its document and the text
generated from that document in Chinese and English."""

from __future__ import annotations

from marshmallow import Schema, fields

from .fees import InstantField


class TariffQuerySchema(Schema):
    at = InstantField(metadata={"description": "The tariff in force at this moment (ISO 8601 with a UTC offset); now when omitted"})


class TariffTextSchema(Schema):
    zh_CN = fields.String(data_key="zh-CN", attribute="zh-CN", dump_only=True, metadata={"description": "The published text in Chinese, one rule a line"})
    en = fields.String(dump_only=True, metadata={"description": "The same text in English"})


class TariffSchema(Schema):
    lot_id = fields.Integer(dump_only=True, metadata={"description": "The lot asked about (the version may belong to every lot)"})
    code = fields.String(dump_only=True, metadata={"description": "The tariff's code, the document's `id`"})
    version = fields.Integer(dump_only=True)
    valid_from = fields.AwareDateTime(dump_only=True, metadata={"description": "When this version took effect"})
    name = fields.String(dump_only=True, metadata={"description": "The tariff's Chinese name"})
    document = fields.Dict(dump_only=True, metadata={"description": "The tariff document the lanes bill by, as published"})
    text = fields.Nested(TariffTextSchema, dump_only=True)
