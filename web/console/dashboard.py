"""The dashboard: occupancy per lot and per zone, refreshed in place from ``live`` every two seconds.

``live`` is the JSON the page's script polls; its numbers come from Redis through ``OccupancyStore``,
so a car admitted at a lane shows on the dashboard within one poll, with no page reload.
"""

from __future__ import annotations

from flask import jsonify, render_template
from flask.typing import ResponseReturnValue

from ..auth.roles import login_required
from ..context import db, store
from ..occupancy import LotCount, count_lots
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


@bp.route("/")
@login_required
def dashboard() -> ResponseReturnValue:
    return render_template("console/dashboard.html", lots=count_lots(db(), store()), poll_ms=POLL_MILLISECONDS)


@bp.route("/live")
@login_required
def live() -> ResponseReturnValue:
    response = jsonify(live_document(count_lots(db(), store())))
    response.headers["Cache-Control"] = "no-store"
    return response
