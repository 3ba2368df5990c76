"""Site binding in the web: which lots the caller may see and act on.

An operator bound to sites sees only the lots of those sites (and their lanes, sessions, passes...);
one bound to none, and an integration token, sees every lot. The rule is
``parking.services.operators.visible_lot_ids``; this module applies it to the request's caller, once
per request. Views filter their lists with ``visible_lot_ids`` (or ``restrict``) and answer 404 for an
object of a lot outside it (``lot_visible``), exactly as for an object that does not exist, so a bound
operator cannot even learn which ids other sites use.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import g
from flask_login import current_user
from sqlalchemy import Select

from parking.services import operators

from ..context import db

T = TypeVar("T", bound=tuple[Any, ...])

_CACHE = "visible_lot_ids"


def visible_lot_ids(operator: Any = None) -> set[int] | None:
    """The ids of the lots ``operator`` (the request's caller by default) may see; None: every lot."""
    if operator is None:
        if _CACHE not in g:
            g.visible_lot_ids = operators.visible_lot_ids(db(), getattr(current_user, "site_ids", None))
        return g.visible_lot_ids  # type: ignore[no-any-return]
    return operators.visible_lot_ids(db(), getattr(operator, "site_ids", None))


def lot_visible(lot_id: int | None) -> bool:
    """Whether the caller may see the lot ``lot_id`` (an object of no lot, None, only when bound to none)."""
    visible = visible_lot_ids()
    return visible is None or (lot_id is not None and lot_id in visible)


def restrict(query: Select[T], lot_column: Any) -> Select[T]:
    """``query`` limited to the caller's lots, by its ``lot_column`` (e.g. ``ParkingSession.lot_id``)."""
    visible = visible_lot_ids()
    return query if visible is None else query.where(lot_column.in_(sorted(visible)))
