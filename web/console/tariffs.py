"""The tariffs page (收费标准): for each lot, the tariff version the lanes bill by now and its published
text, generated from the document in the page's language, and every version that may price it (future
ones marked). An administrator uploads a new version here: the page first shows what it would publish,
its text and the fees of sample stays, and publishing is a second, deliberate upload of the same file
(``parking.services.tariff_upload``; audited, agents told)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from parking.models import Lot
from parking.services import tariff_upload
from parking.tariffs import TariffError

from ..auth.roles import login_required, roles_required
from ..auth.sites import restrict
from ..context import db, now, store
from ..i18n import current_language
from ..tariffs import shown_tariff
from . import bp

MAX_DOCUMENT_BYTES = 256 * 1024


@bp.route("/tariffs")
@login_required
def tariffs() -> ResponseReturnValue:
    return _page()


def _page(preview: tariff_upload.TariffPreview | None = None, upload: dict[str, Any] | None = None) -> ResponseReturnValue:
    at = now()
    lots = list(db().scalars(restrict(select(Lot).order_by(Lot.id), Lot.id)))
    return render_template(
        "console/tariffs.html",
        lots=[(lot, shown_tariff(db(), lot.id, at), tariff_upload.versions(db(), lot.id, at)) for lot in lots],
        language=current_language(), preview=preview, upload=upload or {}, now=at,
        may_upload=getattr(current_user, "role", None) == "admin",
    )


class UploadError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _upload() -> tuple[dict[str, Any], int | None, datetime, dict[str, Any]]:
    """(the document, the lot id or None, valid_from, the form's values to show again)."""
    form = {"lot_id": request.form.get("lot_id", ""), "valid_from": request.form.get("valid_from", "")}
    lot_id: int | None = None
    if form["lot_id"]:
        try:
            lot_id = int(form["lot_id"])
        except ValueError:
            raise UploadError("lot_id", _("请选择停车场。")) from None
        if db().get(Lot, lot_id) is None:
            raise UploadError("lot_id", _("请选择停车场。"))
    lot = db().get(Lot, lot_id) if lot_id else None
    tz = ZoneInfo(lot.timezone or lot.site.timezone) if lot else ZoneInfo(current_app.config["PARKING_SETTINGS"].timezone)
    try:
        valid_from = datetime.fromisoformat(form["valid_from"])
    except ValueError:
        raise UploadError("valid_from", _("请填写生效时间。")) from None
    if valid_from.tzinfo is None:
        valid_from = valid_from.replace(tzinfo=tz)  # the form's datetime-local is in the lot's time zone
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        raise UploadError("document", _("请选择收费标准文件（JSON）。"))
    raw = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise UploadError("document", _("文件太大。"))
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UploadError("document", _("文件不是 JSON：%(error)s", error=str(exc)[:200])) from None
    if not isinstance(document, dict):
        raise UploadError("document", _("文件不是 JSON：%(error)s", error="not an object"))
    return document, lot_id, valid_from, form


def _refused(field: str, message: str) -> ResponseReturnValue:
    flash(_("未发布：%(field)s — %(message)s", field=field, message=message), "error")
    return redirect(url_for("console.tariffs", _anchor="upload"))


@bp.route("/tariffs/preview", methods=["POST"])
@roles_required("admin")
def tariff_preview() -> ResponseReturnValue:
    try:
        document, lot_id, valid_from, form = _upload()
        preview = tariff_upload.preview(db(), document, lot_id=lot_id, valid_from=valid_from, now=now(),
                                        default_tz=current_app.config["PARKING_SETTINGS"].timezone)
    except UploadError as error:
        return _refused(error.field, str(error))
    except TariffError as error:
        return _refused(f"document.{error.field}" if error.field else "document", error.problem)
    return _page(preview, form)


@bp.route("/tariffs/publish", methods=["POST"])
@roles_required("admin")
def tariff_publish() -> ResponseReturnValue:
    try:
        document, lot_id, valid_from, _form = _upload()
        row = tariff_upload.publish(db(), store(), document, lot_id=lot_id, valid_from=valid_from, now=now(), operator_id=current_user.id)
    except UploadError as error:
        return _refused(error.field, str(error))
    except TariffError as error:
        field = error.field if error.field in ("lot_id", "valid_from") else f"document.{error.field}" if error.field else "document"
        return _refused(field, error.problem)
    flash(_("已发布 %(code)s 第 %(version)d 版。", code=row.code, version=row.version), "info")
    return redirect(url_for("console.tariffs"))
