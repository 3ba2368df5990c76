"""Console lists read from SQL: recent parking sessions (with their snapshots) and passes.

The lanes page is the lane console, in ``lanes``."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from parking.models import Lot, ParkingPass, ParkingSession, SessionStatus

from ..auth.roles import login_required, roles_required
from ..context import db
from ..queries import paginate
from . import bp

PER_PAGE = 30


def _lots() -> list[Lot]:
    return list(db().scalars(select(Lot).order_by(Lot.id)))


@bp.route("/sessions")
@login_required
def sessions() -> ResponseReturnValue:
    lots = _lots()
    lot_id = request.args.get("lot", type=int)
    if lot_id not in {lot.id for lot in lots}:
        lot_id = None
    status = request.args.get("status", "")
    if status not in {s.value for s in SessionStatus}:
        status = ""
    page_number = max(1, request.args.get("page", 1, type=int))
    query = select(ParkingSession).order_by(ParkingSession.entry_at.desc(), ParkingSession.id.desc())
    if lot_id is not None:
        query = query.where(ParkingSession.lot_id == lot_id)
    if status:
        query = query.where(ParkingSession.status == SessionStatus(status))
    page = paginate(db(), query, page_number, PER_PAGE)
    return render_template(
        "console/sessions.html",
        page=page,
        lots=lots,
        lot_names={lot.id: lot.name for lot in lots},
        lot_id=lot_id,
        status=status,
        statuses=[s.value for s in SessionStatus],
    )


@bp.route("/passes")
@roles_required("admin", "manager")
def passes() -> ResponseReturnValue:
    rows = db().scalars(
        select(ParkingPass).options(selectinload(ParkingPass.plates), selectinload(ParkingPass.lot)).order_by(ParkingPass.lot_id, ParkingPass.id)
    )
    return render_template("console/passes.html", passes=list(rows))
