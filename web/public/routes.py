"""The resident page: free spaces per public lot and zone on a phone-sized page, and the tariff that
prices each lot, in the text generated from the rule (``web.tariffs``).

Nothing here reads a plate: counts come from Redis, names and tariffs from SQL. Where a plate ever has
to appear on a public page, it goes through ``mask_plate`` first.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from parking.models import utcnow

from ..context import db, store
from ..i18n import current_language
from ..occupancy import count_lots
from ..tariffs import shown_tariff
from . import bp


def mask_plate(plate: str) -> str:
    """粤B12345 → 粤B***45: the first two and last two characters kept, every one between starred."""
    if len(plate) <= 4:
        return plate[:2] + "*" * max(len(plate) - 2, 0)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


@bp.route("/")
def index() -> ResponseReturnValue:
    lots = count_lots(db(), store(), public_only=True)
    now = utcnow()
    tariffs = {lot.id: shown_tariff(db(), lot.id, now) for lot in lots}
    response = render_template("public/index.html", lots=lots, tariffs=tariffs, language=current_language())
    return response, 200, {"Cache-Control": "no-store"}
