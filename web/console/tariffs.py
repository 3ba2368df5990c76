"""The tariffs page (收费标准): for each lot, the tariff version the lanes bill by now and its published
text, generated from the document in the page's language."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from parking.models import Lot

from ..auth.roles import login_required
from ..context import db, now
from ..i18n import current_language
from ..tariffs import shown_tariff
from . import bp


@bp.route("/tariffs")
@login_required
def tariffs() -> ResponseReturnValue:
    at = now()
    lots = list(db().scalars(select(Lot).order_by(Lot.id)))
    return render_template(
        "console/tariffs.html",
        lots=[(lot, shown_tariff(db(), lot.id, at)) for lot in lots],
        language=current_language(),
    )
