"""The dashboard: occupancy per lot and per zone, refreshed in place from ``live`` every two seconds.

``live`` is the JSON the page's script polls; its numbers come from Redis through ``OccupancyStore``,
so a car admitted at a lane shows on the dashboard within one poll, with no page reload.
"""

from __future__ import annotations

from flask import jsonify, render_template
from flask.typing import ResponseReturnValue

from ..auth.roles import login_required
from ..auth.sites import visible_lot_ids
from ..context import db, store
from ..occupancy import LotCount, count_lot, load_lots
from . import bp

POLL_MILLISECONDS = 2000


def live_document(lots: list[LotCount]) -> dict[str, object]:
    return {
        "lots": [
            {
                "id": lot.id,
                "present": lot.present,
                "capacity": lot.capacity,
                "free": lot.free,
                "zones": [
                    {
                        "id": z.id,
                        "present": z.present,
                        "capacity": z.capacity,
                        "free": z.free,
                        "pools": [{"kind": p.kind, "present": p.present, "capacity": p.capacity, "free": p.free} for p in z.pools],
                    }
                    for z in lot.zones
                ],
            }
            for lot in lots
        ]
    }


def _visible_counts() -> list[LotCount]:
    """The counts of the lots the operator may see (their sites' lots, or every lot)."""
    return [count_lot(lot, store()) for lot in load_lots(db(), lot_ids=visible_lot_ids())]


@bp.route("/")
@login_required
def dashboard() -> ResponseReturnValue:
    return render_template("console/dashboard.html", lots=_visible_counts(), poll_ms=POLL_MILLISECONDS)


@bp.route("/live")
@login_required
def live() -> ResponseReturnValue:
    response = jsonify(live_document(_visible_counts()))
    response.headers["Cache-Control"] = "no-store"
    return response
