"""``/api/v1/lots/<id>/tariff``: the tariff that prices a lot, with its published text (明码标价); uploading a new
version: ``/api/v1/tariffs/preview`` shows its text and sample fees, ``/api/v1/tariffs`` publishes it, and
``/api/v1/lots/<id>/tariffs`` lists the versions that may price a lot, future ones included."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from flask import current_app

from parking.models import Lot
from parking.services import tariff_upload
from parking.tariffs import TariffError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.tariff_upload import PublishedVersionSchema, TariffPreviewSchema, TariffUploadSchema, TariffVersionSchema
from ..schemas.tariffs import TariffQuerySchema, TariffSchema
from ..tariffs import tariff_in_force
from . import bp
from .errors import abort_json


@bp.route("/lots/<int:lot_id>/tariff")
@roles_required(scope="lots:read")
@bp.arguments(TariffQuerySchema, location="query", as_kwargs=True)
@bp.response(200, TariffSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot, or no tariff in force for it")
@bp.doc(tags=["tariffs"], summary="The tariff version in force for a lot, its document and its text in Chinese and English")
def lot_tariff(lot_id: int, at: datetime | None = None) -> Any:
    if db().get(Lot, lot_id) is None or not lot_visible(lot_id):  # another site's lot is not found
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    at = at or now()
    published = tariff_in_force(db(), lot_id, at)
    if published is None:
        abort_json(404, f"lot {lot_id} has no tariff in force at {at.isoformat()}", field="lot_id")
    return published


# -- uploading a version: preview, publish, and the versions of a lot -------------------------------------------
# (``parking.services.tariff_upload``; publishing is audited and tells the agents)


def _upload_error(error: TariffError) -> NoReturn:
    field = error.field if error.field in ("lot_id", "valid_from") else f"document.{error.field}" if error.field else "document"
    abort_json(422, f"{field}: {error.problem}", field=field)


@bp.route("/tariffs/preview", methods=["POST"])
@roles_required("admin", scope="admin")
@bp.arguments(TariffUploadSchema, location="json", as_kwargs=True)
@bp.response(200, TariffPreviewSchema)
@bp.alt_response(422, schema=ErrorSchema, description="The document does not load: `field` names the place in it (`document.rates`)")
@bp.doc(tags=["tariffs"], summary="What a tariff document would publish: its text in Chinese and English and the fees of sample stays")
def preview_tariff(valid_from: datetime, document: dict[str, Any], lot_id: int | None = None) -> Any:
    try:
        return tariff_upload.preview(db(), document, lot_id=lot_id, valid_from=valid_from, now=now(),
                                     default_tz=current_app.config["PARKING_SETTINGS"].timezone)
    except TariffError as error:
        _upload_error(error)


@bp.route("/tariffs", methods=["POST"])
@roles_required("admin", scope="admin")
@bp.arguments(TariffUploadSchema, location="json", as_kwargs=True)
@bp.response(201, PublishedVersionSchema)
@bp.alt_response(422, schema=ErrorSchema, description="The document does not load, the lot is unknown or `valid_from` is past: nothing stored")
@bp.doc(tags=["tariffs"], summary="Publish a tariff document as the next version of its code, in force from `valid_from`")
def publish_tariff_version(valid_from: datetime, document: dict[str, Any], lot_id: int | None = None) -> Any:
    try:
        return tariff_upload.publish(db(), store(), document, lot_id=lot_id, valid_from=valid_from, now=now(), operator_id=actor()[0])
    except TariffError as error:
        _upload_error(error)


@bp.route("/lots/<int:lot_id>/tariffs")
@roles_required(scope="lots:read")
@bp.response(200, TariffVersionSchema(many=True))
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.doc(tags=["tariffs"], summary="Every version that may price a lot, newest first: future, in force or past")
def lot_tariff_versions(lot_id: int) -> Any:
    if db().get(Lot, lot_id) is None or not lot_visible(lot_id):  # another site's lot is not found
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    return tariff_upload.versions(db(), lot_id, now())


csrf.exempt(preview_tariff)
csrf.exempt(publish_tariff_version)
