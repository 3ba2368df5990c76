"""The pass products page (月卡产品), for administrators and managers: each lot's products with their
price per period, a form to add one, and a page to change, withdraw from sale or delete one. Every
change goes through ``parking.services.pass_products`` (checked, audited)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from parking.models import ParkingPass, PassKind, PassProduct, Zone
from parking.services import pass_products
from parking.services.config_changes import ConfigChangeError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..context import db, now
from ..service_errors import explain
from . import bp
from .pass_forms import ProductEditForm, ProductForm, validate_price
from .passes import ROLES, show_refusal, visible_ids, visible_lots

KIND_LABELS = {"monthly": _l("月卡"), "time_window": _l("时段卡"), "enterprise": _l("企业车位池"), "owner": _l("产权车位"), "shared": _l("错时共享")}
NO_ZONE = 0


def _choices(form: ProductForm) -> None:
    lots = visible_lots()
    if form.lot_id is not None:
        form.lot_id.choices = [(lot.id, lot.name) for lot in lots]
    form.kind.choices = [(k.value, str(KIND_LABELS[k.value])) for k in PassKind]
    zones = db().scalars(select(Zone).where(Zone.lot_id.in_([lot.id for lot in lots])).order_by(Zone.lot_id, Zone.id))
    names = {lot.id: lot.name for lot in lots}
    form.zone_id.choices = [(NO_ZONE, _("全部区域"))] + [(z.id, f"{names[z.lot_id]} · {z.name}") for z in zones]


def _fields(form: ProductForm, price_fen: int) -> dict[str, object]:
    return {
        "lot_id": form.lot_id.data if form.lot_id is not None else None, "code": (form.code.data or "").strip(), "name": form.name.data or "", "kind": form.kind.data,
        "period_months": form.period_months.data, "price_fen": price_fen, "spaces": form.spaces.data,
        "zone_id": form.zone_id.data or None, "window_start": form.window_start.data, "window_end": form.window_end.data,
        "active": bool(form.active.data),
    }


@bp.route("/pass-products", methods=["GET", "POST"], endpoint="pass_products")
@roles_required(*ROLES)
def pass_products_page() -> ResponseReturnValue:
    form = ProductForm()
    _choices(form)
    status = 200
    if request.method == "POST":
        price = validate_price(form)
        if form.validate() and price is not None:
            try:
                product = pass_products.create(db(), pass_products.ProductFields(**_fields(form, price)), operator_id=current_user.id, now=now())
            except ConfigChangeError as error:
                show_refusal(form, error, {"price_fen": "price_yuan"})
            else:
                flash(_("已添加月卡产品 %(name)s。", name=product.name), "info")
                return redirect(url_for("console.pass_products"))
        status = 422
    found = pass_products.products(db(), lot_ids=visible_ids())
    sold = dict(db().execute(select(ParkingPass.product_id, func.count()).where(ParkingPass.product_id.in_([p.id for p in found]))
                             .group_by(ParkingPass.product_id)).all())
    lots = {lot.id: lot.name for lot in visible_lots()}
    return render_template("console/pass_products.html", form=form, products=found, sold=sold, lots=lots, kind_labels=KIND_LABELS), status


@bp.route("/pass-products/<int:product_id>", methods=["GET", "POST"])
@roles_required(*ROLES)
def pass_product(product_id: int) -> ResponseReturnValue:
    product = db().get(PassProduct, product_id)
    if product is None or not lot_visible(product.lot_id):
        abort(404)
    if request.method == "POST" and request.form.get("action") == "delete":
        try:
            pass_products.remove(db(), product.id, operator_id=current_user.id, now=now())
        except ConfigChangeError as error:
            flash(explain(error), "error")
            return redirect(url_for("console.pass_product", product_id=product_id))
        flash(_("月卡产品已删除。"), "info")
        return redirect(url_for("console.pass_products"))
    form = ProductEditForm(obj=product) if request.method == "GET" else ProductEditForm()
    _choices(form)
    status = 200
    if request.method == "GET":
        form.kind.data = PassKind(product.kind).value
        form.zone_id.data = product.zone_id or NO_ZONE
        form.price_yuan.data = f"{product.price_fen // 100}.{product.price_fen % 100:02d}"
    else:
        price = validate_price(form)
        if form.validate() and price is not None:
            changes = _fields(form, price)
            changes.pop("lot_id")
            try:
                pass_products.update(db(), product.id, operator_id=current_user.id, now=now(), **changes)
            except ConfigChangeError as error:
                show_refusal(form, error, {"price_fen": "price_yuan"})
            else:
                flash(_("月卡产品已保存。"), "info")
                return redirect(url_for("console.pass_products"))
        status = 422
    sold = db().scalar(select(func.count()).select_from(ParkingPass).where(ParkingPass.product_id == product.id)) or 0
    lot_name = next((lot.name for lot in visible_lots() if lot.id == product.lot_id), "")
    return render_template("console/pass_product.html", form=form, product=product, product_lot=lot_name, sold=sold), status
