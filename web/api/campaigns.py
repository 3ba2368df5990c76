"""``/api/v1/campaigns``: a lot's campaigns (优惠活动, e.g. 公益免费停车 on a public holiday), for
administrators and managers (or a token with ``coupons:read`` / ``coupons:write``).

The twin of the console's campaign page over ``parking.services.campaigns``: list, create, change or
switch off. A stay that begins within a campaign's period gets it at the exit; the lanes learn of a change
at once. An operator bound to sites sees only their lots' campaigns: another lot's is not found. A
refused change is 422 naming the field.
"""

from __future__ import annotations

from typing import Any, NoReturn

from parking.models import Campaign
from parking.services import campaigns
from parking.services.config_changes import ConfigChangeError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.coupons import CampaignCreateSchema, CampaignQuerySchema, CampaignSchema, CampaignUpdateSchema
from ..schemas.errors import ErrorSchema
from . import bp
from .errors import abort_json
from .merchants import ROLES, check_lot, visible_ids


def refuse(error: ConfigChangeError) -> NoReturn:
    abort_json(422, str(error), field=error.field)


def campaign_or_404(campaign_id: int) -> Campaign:
    found = db().get(Campaign, campaign_id)
    if found is None or not lot_visible(found.lot_id):
        abort_json(404, f"campaign {campaign_id} not found", field="campaign_id")
    return found


@bp.route("/campaigns", methods=["GET"])
@roles_required(*ROLES, scope="coupons:read")
@bp.arguments(CampaignQuerySchema, location="query", as_kwargs=True)
@bp.response(200, CampaignSchema(many=True))
@bp.doc(tags=["coupons"], summary="Campaigns, the latest first")
def list_campaigns(lot_id: int | None = None) -> Any:
    check_lot(lot_id)
    return campaigns.campaigns(db(), lot_id=lot_id, lot_ids=visible_ids())


@bp.route("/campaigns", methods=["POST"])
@roles_required(*ROLES, scope="coupons:write")
@bp.arguments(CampaignCreateSchema, location="json")
@bp.response(201, CampaignSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad field (named)")
@bp.doc(tags=["coupons"], summary="Add a campaign: stays that begin within [starts_at, ends_at) get it at the exit, whatever the tariff's coupon policy")
def create_campaign(body: dict[str, Any]) -> Any:
    check_lot(body["lot_id"])
    try:
        return campaigns.create(db(), store(), campaigns.CampaignFields(**body), operator_id=actor()[0], now=now()), 201
    except ConfigChangeError as error:
        refuse(error)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET"])
@roles_required(*ROLES, scope="coupons:read")
@bp.response(200, CampaignSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.doc(tags=["coupons"], summary="One campaign")
def get_campaign(campaign_id: int) -> Any:
    return campaign_or_404(campaign_id)


@bp.route("/campaigns/<int:campaign_id>", methods=["PATCH"])
@roles_required(*ROLES, scope="coupons:write")
@bp.arguments(CampaignUpdateSchema, location="json")
@bp.response(200, CampaignSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.doc(tags=["coupons"], summary="Change a campaign, or switch it off (active: false) for the stays that have not left yet")
def update_campaign(body: dict[str, Any], campaign_id: int) -> Any:
    campaign_or_404(campaign_id)
    try:
        return campaigns.update(db(), store(), campaign_id, operator_id=actor()[0], now=now(), **body)
    except ConfigChangeError as error:
        refuse(error)


for _view in (create_campaign, update_campaign):
    csrf.exempt(_view)
