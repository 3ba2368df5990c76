"""Passes as spreadsheets in the console: the upload page with its row-by-row report, and the export.

Uploading checks every row (``parking.services.pass_files``); when any row has a problem nothing is
written and the page lists each problem by row and column in the page's language; "only check" shows
the same report without writing. The export is every pass the operator sees (of one lot when asked),
as .xlsx or CSV in the columns the import reads.
"""

from __future__ import annotations

from flask import Response, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from parking.services import pass_files
from parking.services.spreadsheets import CONTENT_TYPES, FORMATS, SpreadsheetError

from ..auth.roles import roles_required
from ..context import db, now, store
from ..i18n import current_language
from ..service_errors import explain
from . import bp
from .pass_forms import ImportForm
from .passes import ROLES, lot_argument, visible_ids, visible_lots

MAX_SHOWN_ERRORS = 500


@bp.route("/passes/import", methods=["GET", "POST"])
@roles_required(*ROLES)
def import_passes() -> ResponseReturnValue:
    form = ImportForm()
    report, problems = None, []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = pass_files.import_passes(db(), store(), upload.read(), filename=upload.filename or "", operator_id=current_user.id,
                                              now=now(), dry_run=bool(form.dry_run.data), lot_ids=visible_ids())
        except SpreadsheetError as error:
            form.file.errors = [*form.file.errors, explain(error)]
            status = 422
        else:
            problems = [(e.row, e.column, explain(e)) for e in report.errors[:MAX_SHOWN_ERRORS]]
            if report.errors:
                flash(_("有 %(count)d 处问题，未导入任何通行证。请修改文件后重新上传。", count=len(report.errors)), "error")
                status = 422
            elif report.written:
                flash(_("已导入 %(created)d 张通行证；%(unchanged)d 行是已有的通行证，未改动。", created=report.created, unchanged=report.unchanged), "info")
            else:
                flash(_("检查通过：将导入 %(created)d 张通行证，%(unchanged)d 行是已有的通行证。", created=report.created, unchanged=report.unchanged), "info")
    elif request.method == "POST":
        status = 422
    return render_template("console/pass_import.html", form=form, report=report, problems=problems, columns=pass_files.COLUMNS,
                           required=pass_files.REQUIRED, max_rows=pass_files.MAX_ROWS), status


@bp.route("/passes/export")
@roles_required(*ROLES)
def export_passes() -> ResponseReturnValue:
    fmt = request.args.get("format", "xlsx")
    fmt = fmt if fmt in FORMATS else "xlsx"
    lot_id = lot_argument(visible_lots())
    language = "en" if current_language() == "en" else "zh"
    data = pass_files.export(db(), now(), fmt, lot_id=lot_id, lot_ids=visible_ids(), language=language)
    name = f"passes-{now():%Y%m%d}.{fmt}"
    return Response(data, content_type=CONTENT_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
