"""``/api/v1/sessions``: parking sessions from SQL, newest entry first, filtered and paged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from parking.models import ParkingSession, SessionStatus

from ..auth.roles import roles_required
from ..auth.sites import restrict
from ..context import db
from ..queries import paginate
from ..schemas.sessions import SessionPageSchema, SessionQuerySchema
from . import bp
from .lots import lot_or_404


@bp.route("/sessions")
@roles_required(scope="sessions:read")
@bp.arguments(SessionQuerySchema, location="query", as_kwargs=True)
@bp.response(200, SessionPageSchema)
@bp.doc(tags=["sessions"], summary="Parking sessions, filtered by lot and status")
def list_sessions(page: int, per_page: int, lot_id: int | None = None, status: str | None = None) -> Any:
    query = restrict(select(ParkingSession).order_by(ParkingSession.entry_at.desc(), ParkingSession.id.desc()), ParkingSession.lot_id)
    if lot_id is not None:
        lot_or_404(lot_id)
        query = query.where(ParkingSession.lot_id == lot_id)
    if status:
        query = query.where(ParkingSession.status == SessionStatus(status))
    result = paginate(db(), query, page, per_page)
    return {"items": result.items, "page": result.page, "per_page": result.per_page, "total": result.total, "pages": result.pages}
