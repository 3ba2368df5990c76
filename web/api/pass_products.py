"""``/api/v1/pass-products``: what each lot sells as a pass and at what price per period, for
administrators and managers (or a token with ``passes:read`` / ``passes:write``).

Creating, changing and deleting go through ``parking.services.pass_products`` (checked, audited). A
product some pass was sold from is not deleted (409): withdraw it from sale with ``active: false``.
An operator bound to sites sees and changes only their lots' products.
"""

from __future__ import annotations

from typing import Any

from parking.models import PassProduct
from parking.services import pass_products
from parking.services.config_changes import ConfigChangeError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, visible_lot_ids
from ..auth.tokens import actor
from ..context import db, now
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.pass_products import PassProductCreateSchema, PassProductQuerySchema, PassProductSchema, PassProductUpdateSchema
from . import bp
from .errors import abort_json

ROLES = ("admin", "manager")


def _product_or_404(product_id: int) -> PassProduct:
    product = db().get(PassProduct, product_id)
    if product is None or not lot_visible(product.lot_id):
        abort_json(404, f"pass product {product_id} not found", field="product_id")
    return product


def _refuse(error: ConfigChangeError) -> Any:
    abort_json(409 if error.code == "product_in_use" else 422, str(error), field=error.field)


@bp.route("/pass-products", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.arguments(PassProductQuerySchema, location="query", as_kwargs=True)
@bp.response(200, PassProductSchema(many=True))
@bp.doc(tags=["passes"], summary="Pass products by lot and code")
def list_pass_products(lot_id: int | None = None, active: bool | None = None) -> Any:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    visible = visible_lot_ids()
    found = pass_products.products(db(), lot_id=lot_id, lot_ids=None if visible is None else sorted(visible))
    return [p for p in found if active is None or p.active == active]


@bp.route("/pass-products", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(PassProductCreateSchema, location="json")
@bp.response(201, PassProductSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad field (`field` says which), or a code the lot already has")
@bp.doc(tags=["passes"], summary="Add a pass product to a lot (月卡, 季卡, 年卡, 产权车位, 企业包位...)")
def create_pass_product(body: dict[str, Any]) -> Any:
    if not lot_visible(body["lot_id"]):
        abort_json(422, f"lot_id: no lot {body['lot_id']}", field="lot_id")
    try:
        return pass_products.create(db(), pass_products.ProductFields(**body), operator_id=actor()[0], now=now()), 201
    except ConfigChangeError as error:
        _refuse(error)


@bp.route("/pass-products/<int:product_id>", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.response(200, PassProductSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such product")
@bp.doc(tags=["passes"], summary="One pass product")
def get_pass_product(product_id: int) -> Any:
    return _product_or_404(product_id)


@bp.route("/pass-products/<int:product_id>", methods=["PATCH"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(PassProductUpdateSchema, location="json")
@bp.response(200, PassProductSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such product")
@bp.doc(tags=["passes"], summary="Change a product (a new price applies to later issues and renewals); active false withdraws it from sale")
def update_pass_product(body: dict[str, Any], product_id: int) -> Any:
    _product_or_404(product_id)
    try:
        return pass_products.update(db(), product_id, operator_id=actor()[0], now=now(), **body)
    except ConfigChangeError as error:
        _refuse(error)


@bp.route("/pass-products/<int:product_id>", methods=["DELETE"])
@roles_required(*ROLES, scope="passes:write")
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such product")
@bp.alt_response(409, schema=ErrorSchema, description="Passes were sold from it: withdraw it from sale instead")
@bp.doc(tags=["passes"], summary="Delete a product no pass was sold from")
def delete_pass_product(product_id: int) -> Any:
    _product_or_404(product_id)
    try:
        pass_products.remove(db(), product_id, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        _refuse(error)
    return None


for _view in (create_pass_product, update_pass_product, delete_pass_product):
    csrf.exempt(_view)
