"""Merchants (商户) with their coupon rights and this month's counts, their coupons, and the lots'
campaigns (优惠活动), with the bodies that create and change them. Money is integer fen (分); a coupon's or
campaign's ``value`` is minutes (minutes), fen (amount), a percentage (percent) or 0 (free)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.discounts import KINDS
from parking.services import campaigns, coupons, merchants

from .fields import BoundedInteger, Id

KIND_TEXT = "minutes | amount | percent | free"
PLATE_MAX_CHARS = 32


class MerchantSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    contact = fields.String(dump_only=True)
    kinds = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True,
                        metadata={"description": "The kinds it may give, each with its largest value (free: 0)"})
    monthly_quota = fields.Integer(dump_only=True, metadata={"description": "Coupons a month; 0: no limit"})
    stackable = fields.Boolean(dump_only=True, metadata={"description": "Its coupons may join another merchant's on one stay"})
    active = fields.Boolean(dump_only=True)
    issued_this_month = fields.Integer(dump_only=True, metadata={"description": "Coupons made this month (voided ones not counted)"})
    used_this_month = fields.Integer(dump_only=True, metadata={"description": "Of those, used with a stay that ended"})
    created_at = fields.AwareDateTime(dump_only=True)


class MerchantCreatedSchema(MerchantSchema):
    key = fields.String(dump_only=True, metadata={"description": "The key of the merchant's page (/m/<key>): shown this once"})
    page = fields.String(dump_only=True, metadata={"description": "The merchant's page, for its staff"})


class MerchantQuerySchema(Schema):
    lot_id = Id(metadata={"description": "Only the merchants of this lot"})


def _kinds(**kwargs: object) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(KINDS)), values=BoundedInteger(min=0, max=max(merchants.KIND_LIMITS.values())),
                       validate=validate.Length(min=1, max=len(KINDS)), **kwargs,  # type: ignore[arg-type]
                       metadata={"description": "Kind → largest value, e.g. {\"minutes\": 60, \"amount\": 500}; free takes 0"})


class MerchantCreateSchema(Schema):
    lot_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=merchants.NAME_MAX_CHARS))
    contact = fields.String(load_default="", validate=validate.Length(max=merchants.CONTACT_MAX_CHARS))
    kinds = _kinds(required=True)
    monthly_quota = BoundedInteger(min=0, max=merchants.MAX_QUOTA, load_default=0)
    stackable = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)


class MerchantUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=merchants.NAME_MAX_CHARS))
    contact = fields.String(validate=validate.Length(max=merchants.CONTACT_MAX_CHARS))
    kinds = _kinds()
    monthly_quota = BoundedInteger(min=0, max=merchants.MAX_QUOTA)
    stackable = fields.Boolean()
    active = fields.Boolean()


class MerchantKeySchema(Schema):
    key = fields.String(dump_only=True, metadata={"description": "The new key (the old link stops working): shown this once"})
    page = fields.String(dump_only=True)


class CouponSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True, metadata={"description": "What its one-time QR code carries"})
    merchant_id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"description": KIND_TEXT})
    value = fields.Integer(dump_only=True)
    plate = fields.String(dump_only=True, metadata={"description": "The car whose stay holds it; empty until given or claimed"})
    status = fields.String(dump_only=True, metadata={"description": "issued (on a stay or not yet) | used | void"})
    issued_at = fields.AwareDateTime(dump_only=True)
    valid_until = fields.AwareDateTime(dump_only=True)
    applied_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    used_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    discount_fen = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "What it took off its stay, once the car left"})
    claim_url = fields.String(dump_only=True, metadata={"description": "The page its QR code opens"})


class CouponQuerySchema(Schema):
    merchant_id = Id()
    lot_id = Id()
    status = fields.String(validate=validate.OneOf(["issued", "used", "void"]))
    month = fields.Boolean(load_default=False, metadata={"description": "Only the coupons issued this month"})


class CouponIssueSchema(Schema):
    merchant_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"description": KIND_TEXT})
    value = BoundedInteger(min=0, max=max(merchants.KIND_LIMITS.values()), load_default=0)
    plate = fields.String(validate=validate.Length(min=1, max=PLATE_MAX_CHARS),
                          metadata={"description": "Give it to this car, parked now, at once; without a plate: printable codes"})
    count = BoundedInteger(min=1, max=coupons.MAX_PRINT, load_default=1, metadata={"description": "Printable codes made (no plate)"})
    valid_until = fields.AwareDateTime(metadata={"description": "Printable codes expire then (required without a plate)"})


class VoidSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class CampaignSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True, metadata={"description": "The receipt line, e.g. 公益免费停车"})
    kind = fields.String(dump_only=True, metadata={"description": KIND_TEXT})
    value = fields.Integer(dump_only=True)
    starts_at = fields.AwareDateTime(dump_only=True, metadata={"description": "Stays that begin from then on get it"})
    ends_at = fields.AwareDateTime(dump_only=True, metadata={"description": "...until then (exclusive)"})
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class CampaignQuerySchema(Schema):
    lot_id = Id()


class CampaignCreateSchema(Schema):
    lot_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=campaigns.NAME_MAX_CHARS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    value = BoundedInteger(min=0, max=max(campaigns.VALUE_LIMITS.values()), load_default=0)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    active = fields.Boolean(load_default=True)


class CampaignUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=campaigns.NAME_MAX_CHARS))
    kind = fields.String(validate=validate.OneOf(KINDS))
    value = BoundedInteger(min=0, max=max(campaigns.VALUE_LIMITS.values()))
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    active = fields.Boolean()
