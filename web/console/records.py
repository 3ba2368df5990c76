"""Console lists read from SQL: recent parking sessions (with their snapshots). Passes are ``passes``.

Filters that name no lot or status are ignored; a page number that is not one, or is past the last
page, shows the nearest page there is, with a message saying so. The lanes page is the lane console, in
``lanes``."""

from __future__ import annotations

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from parking.models import Lot, ParkingSession, SessionStatus

from ..auth.roles import login_required
from ..auth.sites import restrict
from ..context import db
from ..queries import paginate
from ..schemas.fields import MAX_PAGE
from . import bp

PER_PAGE = 30


def page_argument(name: str = "page") -> tuple[int, bool]:
    """The page asked for in the query, and whether it was one: ASCII digits from 1 to ``MAX_PAGE``.

    Anything else asks for page 1, and a number beyond ``MAX_PAGE`` for the last page (``MAX_PAGE``
    then clamped by ``paginate``), without converting text of any length to a number."""
    text = request.args.get(name, "").strip()
    if not text:
        return 1, True
    if not (text.isascii() and text.isdigit()):
        return 1, False
    digits = text.lstrip("0")
    if len(digits) > len(str(MAX_PAGE)) or int(digits or "0") > MAX_PAGE:
        return MAX_PAGE, False
    return (int(digits), True) if digits else (1, False)


def _lots() -> list[Lot]:
    return list(db().scalars(restrict(select(Lot).order_by(Lot.id), Lot.id)))


@bp.route("/sessions")
@login_required
def sessions() -> ResponseReturnValue:
    lots = _lots()
    lot_text = request.args.get("lot", "")
    lot_id = int(lot_text) if lot_text.isascii() and lot_text.isdigit() and len(lot_text) <= 10 else None
    if lot_id not in {lot.id for lot in lots}:
        lot_id = None
    status = request.args.get("status", "")
    if status not in {s.value for s in SessionStatus}:
        status = ""
    page_number, valid = page_argument()
    query = restrict(select(ParkingSession).order_by(ParkingSession.entry_at.desc(), ParkingSession.id.desc()), ParkingSession.lot_id)
    if lot_id is not None:
        query = query.where(ParkingSession.lot_id == lot_id)
    if status:
        query = query.where(ParkingSession.status == SessionStatus(status))
    page = paginate(db(), query, page_number, PER_PAGE, clamp=True)
    if not valid or page.page != page_number:
        flash(_("页码无效或超出范围，显示第 %(page)d 页。", page=page.page), "info")
    return render_template(
        "console/sessions.html",
        page=page,
        lots=lots,
        lot_names={lot.id: lot.name for lot in lots},
        lot_id=lot_id,
        status=status,
        statuses=[s.value for s in SessionStatus],
    )
