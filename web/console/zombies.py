"""The zombie vehicles page (僵尸车): stays still open after each lot's ``zombie_days``, oldest first,
with the entry time in the lot's time zone, the days parked and the entry snapshot. For managers and
administrators, who follow them up."""

from __future__ import annotations

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from parking.models import Lot
from parking.policy import LotPolicy
from parking.services.zombies import find_zombies

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, restrict
from ..context import db, now
from . import bp


@bp.route("/zombies")
@roles_required("admin", "manager")
def zombies() -> ResponseReturnValue:
    settings = current_app.config["PARKING_SETTINGS"]
    lots = list(db().scalars(restrict(select(Lot).order_by(Lot.id), Lot.id)))
    return render_template(
        "console/zombies.html",
        zombies=[z for z in find_zombies(db(), now(), tz=settings.timezone) if lot_visible(z.lot_id)],
        thresholds=[(lot.name, LotPolicy.from_settings(lot.settings).zombie_days) for lot in lots],
    )
