"""``/api/v1/passes``: passes and their plates, for administrators and managers (or a token with
``passes:read`` / ``passes:write``).

The twin of the console's pass pages over the same services (``parking.services.passes``,
``pass_queries``, ``pass_files``): issue from a product, renew, suspend, resume, end (``GET …/refund``
quotes the pro-rata refund first), change plates or the holder's details; each pass with its state and
days left; the passes expiring soon; search; export and import as CSV or .xlsx. An operator bound to
sites sees and changes only the passes of their lots: another lot's pass is not found.

A refused change is 422 naming the field (a pass already ended or suspended: 409). An import with a
problem in any row writes nothing and answers 422 listing every problem by row and column;
``dry_run=true`` answers the same report as JSON without writing. JSON routes are exempt from the form
CSRF token (see ``web.api.lane_commands``); the import takes a form upload, so a console session must
send the CSRF token with it (``X-CSRFToken``), as a token caller need not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from flask import Response
from flask_smorest.fields import Upload
from marshmallow import Schema
from werkzeug.datastructures import FileStorage

from parking.models import ParkingPass, PassProduct
from parking.services import pass_files, pass_queries, passes
from parking.services.config_changes import ConfigChangeError
from parking.services.spreadsheets import CONTENT_TYPES, SpreadsheetError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, visible_lot_ids
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.passes import (
    EndedSchema, EndSchema, ExpiringQuerySchema, ExportQuerySchema, ImportQuerySchema, ImportReportSchema, PassIssueSchema, PassQuerySchema,
    PassSchema, PassUpdateSchema, PlatesSchema, ReasonSchema, RefundSchema, RenewalSchema, RenewSchema,
)
from . import bp
from .errors import abort_json

ROLES = ("admin", "manager")
CONFLICTS = frozenset({"pass_ended", "pass_suspended", "pass_not_suspended"})
MAX_IMPORT_ERRORS_SHOWN = 200


def refuse(error: ConfigChangeError) -> NoReturn:
    abort_json(409 if error.code in CONFLICTS else 422, str(error), field=error.field)


def document(row: pass_queries.PassRow) -> dict[str, Any]:
    p = row.parking_pass
    return {
        "id": p.id, "lot_id": p.lot_id, "product_id": p.product_id, "zone_id": p.zone_id, "kind": p.kind.value, "holder": p.holder,
        "phone": p.phone, "household": p.household, "note": p.note, "spaces": p.spaces, "plates": sorted(pp.plate for pp in p.plates),
        "valid_from": p.valid_from, "valid_until": p.valid_until, "last_day": row.last_day, "window_start": p.window_start,
        "window_end": p.window_end, "price_fen": p.price_fen, "active": p.active, "suspended_at": p.suspended_at, "ended_at": p.ended_at,
        "status": row.status.state, "days_left": row.status.days_left,
    }


def documents(found: Iterable[ParkingPass]) -> list[dict[str, Any]]:
    return [document(row) for row in pass_queries.rows(db(), list(found), now())]


def pass_or_404(pass_id: int) -> ParkingPass:
    found = db().get(ParkingPass, pass_id)
    if found is None or not lot_visible(found.lot_id):
        abort_json(404, f"pass {pass_id} not found", field="pass_id")
    return found


def check_lot(lot_id: int | None) -> None:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(404, f"lot {lot_id} not found", field="lot_id")


def visible_ids() -> list[int] | None:
    """The ids of the lots the caller sees, sorted; None: every lot."""
    visible = visible_lot_ids()
    return None if visible is None else sorted(visible)


@bp.route("/passes", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.arguments(PassQuerySchema, location="query", as_kwargs=True)
@bp.response(200, PassSchema(many=True))
@bp.doc(tags=["passes"], summary="Passes with their plates, state and days left; by lot, product, state or a plate/holder/household/phone fragment")
def list_passes(lot_id: int | None = None, product_id: int | None = None, q: str = "", status: str = "") -> Any:
    check_lot(lot_id)
    query = pass_queries.search(now=now(), lot_id=lot_id, lot_ids=visible_ids(), text=q, status=status, product_id=product_id)
    return documents(db().scalars(query))


@bp.route("/passes", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(PassIssueSchema, location="json")
@bp.response(201, PassSchema, description="The pass was issued and the lanes know it")
@bp.alt_response(422, schema=ErrorSchema, description="A bad field, or a plate another pass holds in the same zone (named)")
@bp.doc(tags=["passes"], summary="Issue a pass from a product for N periods: price = N × the product's price")
def issue_pass(body: dict[str, Any]) -> Any:
    product = db().get(PassProduct, body["product_id"])
    if product is not None and not lot_visible(product.lot_id):
        abort_json(422, f"product_id: no pass product {body['product_id']}", field="product_id")
    try:
        issued = passes.issue(db(), store(), passes.IssueRequest(**body), operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return documents([issued])[0], 201


@bp.route("/passes/expiring", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.arguments(ExpiringQuerySchema, location="query", as_kwargs=True)
@bp.response(200, PassSchema(many=True))
@bp.doc(tags=["passes"], summary="Passes whose last day is within N days (each lot's expiry_warning_days by default) or in the late-renewal grace")
def expiring_passes(lot_id: int | None = None, days: int | None = None) -> Any:
    check_lot(lot_id)
    return [document(row) for row in pass_queries.expiring(db(), now(), lot_id=lot_id, lot_ids=visible_ids(), days=days)]


@bp.route("/passes/export", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.arguments(ExportQuerySchema, location="query", as_kwargs=True)
@bp.doc(tags=["passes"], summary="Every pass as a CSV (UTF-8 with BOM) or .xlsx file, in the import's columns",
        responses={"200": {"description": "The file", "content": {CONTENT_TYPES["csv"]: {}, CONTENT_TYPES["xlsx"]: {}}}})
def export_passes(format: str, language: str, lot_id: int | None = None) -> Any:
    check_lot(lot_id)
    data = pass_files.export(db(), now(), format, lot_id=lot_id, lot_ids=visible_ids(), language=language)
    name = f"passes-{now():%Y%m%d}.{format}"
    return Response(data, content_type=CONTENT_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "A CSV or .xlsx file with the columns of the export"})


@bp.route("/passes/import", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(ImportQuerySchema, location="query", as_kwargs=True)
@bp.arguments(ImportFileSchema, location="files", as_kwargs=True)
@bp.response(201, ImportReportSchema, description="Every row was sound: the passes not there yet were created")
@bp.alt_response(200, schema=ImportReportSchema, description="A dry run: what would happen, nothing written")
@bp.alt_response(422, schema=ErrorSchema, description="Some row has a problem (each listed by row and column): nothing was written")
@bp.doc(tags=["passes"], summary="Import passes from a CSV or .xlsx file, all or nothing; a pass already there is left as it is")
def import_passes(file: FileStorage, dry_run: bool = False) -> Any:
    data = file.read()
    try:
        report = pass_files.import_passes(db(), store(), data, filename=file.filename or "", operator_id=actor()[0], now=now(),
                                          dry_run=dry_run, lot_ids=visible_ids())
    except SpreadsheetError as error:
        abort_json(422, f"file: {error}", field="file")
    if dry_run:
        return ImportReportSchema().dump(report), 200
    if report.errors:
        shown = "; ".join(f"row {e.row}, {e.column}: {e.message}" for e in report.errors[:MAX_IMPORT_ERRORS_SHOWN])
        more = f"; and {len(report.errors) - MAX_IMPORT_ERRORS_SHOWN} more" if len(report.errors) > MAX_IMPORT_ERRORS_SHOWN else ""
        abort_json(422, f"{len(report.errors)} problems, nothing was written: {shown}{more}", field="file")
    return ImportReportSchema().dump(report), 201


@bp.route("/passes/<int:pass_id>", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.response(200, PassSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.doc(tags=["passes"], summary="One pass with its plates, state and days left")
def get_pass(pass_id: int) -> Any:
    return documents([pass_or_404(pass_id)])[0]


@bp.route("/passes/<int:pass_id>", methods=["PATCH"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(PassUpdateSchema, location="json")
@bp.response(200, PassSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.doc(tags=["passes"], summary="Change the holder's name, phone, household or the note")
def update_pass(body: dict[str, Any], pass_id: int) -> Any:
    pass_or_404(pass_id)
    try:
        changed = passes.update_holder(db(), store(), pass_id, operator_id=actor()[0], now=now(), **body)
    except ConfigChangeError as error:
        refuse(error)
    return documents([changed])[0]


@bp.route("/passes/<int:pass_id>/plates", methods=["PUT"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(PlatesSchema, location="json", as_kwargs=True)
@bp.response(200, PassSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.doc(tags=["passes"], summary="Replace the pass's plates (一位多车: up to 50 plates on the pass's spaces)")
def set_pass_plates(pass_id: int, plates: list[str]) -> Any:
    pass_or_404(pass_id)
    try:
        changed = passes.change_plates(db(), store(), pass_id, plates, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return documents([changed])[0]


@bp.route("/passes/<int:pass_id>/renew", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(RenewSchema, location="json", as_kwargs=True)
@bp.response(200, RenewalSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.doc(tags=["passes"], summary="Renew for N periods from the later of valid_until and today (without a gap within the lot's grace)")
def renew_pass(pass_id: int, periods: int, product_id: int | None = None) -> Any:
    pass_or_404(pass_id)
    try:
        result = passes.renew(db(), store(), pass_id, periods, product_id=product_id, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return {"parking_pass": documents([result.parking_pass])[0], "charged_fen": result.charged_fen, "gap": result.gap}


@bp.route("/passes/<int:pass_id>/suspend", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(ReasonSchema, location="json", as_kwargs=True)
@bp.response(200, PassSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.alt_response(409, schema=ErrorSchema, description="Already suspended, or ended")
@bp.doc(tags=["passes"], summary="Suspend a pass: it admits nobody until resumed")
def suspend_pass(pass_id: int, reason: str = "") -> Any:
    pass_or_404(pass_id)
    try:
        changed = passes.suspend(db(), store(), pass_id, reason=reason, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return documents([changed])[0]


@bp.route("/passes/<int:pass_id>/resume", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.response(200, PassSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.alt_response(409, schema=ErrorSchema, description="Not suspended, or ended")
@bp.doc(tags=["passes"], summary="Resume a suspended pass")
def resume_pass(pass_id: int) -> Any:
    pass_or_404(pass_id)
    try:
        changed = passes.resume(db(), store(), pass_id, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return documents([changed])[0]


@bp.route("/passes/<int:pass_id>/refund", methods=["GET"])
@roles_required(*ROLES, scope="passes:read")
@bp.response(200, RefundSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.alt_response(409, schema=ErrorSchema, description="The pass was ended already")
@bp.doc(tags=["passes"], summary="What ending the pass now would refund: remaining whole days × price ÷ days, rounded down")
def pass_refund_quote(pass_id: int) -> Any:
    pass_or_404(pass_id)
    try:
        return passes.refund_quote(db(), pass_id, now())
    except ConfigChangeError as error:
        refuse(error)


@bp.route("/passes/<int:pass_id>/end", methods=["POST"])
@roles_required(*ROLES, scope="passes:write")
@bp.arguments(EndSchema, location="json", as_kwargs=True)
@bp.response(200, EndedSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such pass")
@bp.alt_response(409, schema=ErrorSchema, description="The pass was ended already")
@bp.doc(tags=["passes"], summary="End a pass now; with refund, the pro-rata amount is computed and recorded")
def end_pass(pass_id: int, refund: bool = False, reason: str = "") -> Any:
    pass_or_404(pass_id)
    try:
        result = passes.end(db(), store(), pass_id, refund=refund, reason=reason, operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return {"parking_pass": documents([result.parking_pass])[0], "refund": result.refund}


for _view in (issue_pass, update_pass, set_pass_plates, renew_pass, suspend_pass, resume_pass, end_pass):
    csrf.exempt(_view)
