"""The exit QR codes (出口码) to print and post at each exit lane: one card per enabled exit lane of the
operator's lots, with the QR and its address (``pay_links.exit_path`` under ``PARKING_PUBLIC_URL``). A
driver scanning it sees the car that lane holds and pays for it (``web.public.pay``). For managers and
administrators, who put up the signs."""

from __future__ import annotations

from functools import lru_cache

import segno
from flask import render_template
from flask_babel import gettext as _
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from parking.models import Lane, LaneDirection

from ..auth.roles import roles_required
from ..auth.sites import restrict
from ..context import db
from ..public.pay_context import base_url, links, phone_methods
from . import bp


@lru_cache(maxsize=512)
def _drawn(url: str, title: str) -> str:
    """A lane's exit code is fixed: drawn once per address (and language), not on every page view."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True, title=title)


def _qr(url: str) -> Markup:
    return Markup(_drawn(url, _("出口码")))  # noqa: S704  (segno draws modules only; the address is never written as markup)


@bp.route("/exit-codes")
@roles_required("admin", "manager")
def exit_codes() -> ResponseReturnValue:
    query = (select(Lane).where(Lane.direction == LaneDirection.EXIT, Lane.enabled.is_(True))
             .options(selectinload(Lane.lot)).order_by(Lane.lot_id, Lane.id))
    cards = []
    for lane in db().scalars(restrict(query, Lane.lot_id)):
        url = base_url() + links().exit_path(lane.code, lane.id)
        cards.append({"lot": lane.lot.name, "lane": lane.name, "code": lane.code, "url": url, "qr": _qr(url)})
    return render_template("console/exit_codes.html", cards=cards, methods=phone_methods())
