"""The resident page: free spaces per public lot and zone on a phone-sized page, and the tariff that
prices each lot, in the text generated from the rule (``web.tariffs``).

Nothing here reads a plate: counts come from Redis, names and tariffs from SQL. Where a plate ever has
to appear on a public page, it goes through ``mask_plate`` first.

While Redis is unreachable the page still renders, with the last counts this process read marked
"数据可能已过期, 更新于 HH:MM" (``last_known``), and answers 503 with ``Retry-After`` so that monitors see
the outage; it refreshes itself and shows live counts again as soon as Redis answers.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from parking.runtime import REDIS_UNAVAILABLE

from ..context import db, now, store
from ..i18n import current_language
from ..occupancy import count_lot, load_lots
from ..tariffs import shown_tariff
from . import bp
from .last_known import last_known

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def mask_plate(plate: str) -> str:
    """粤B12345 → 粤B***45: the first two and last two characters kept, every one between starred."""
    if len(plate) <= 4:
        return plate[:2] + "*" * max(len(plate) - 2, 0)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


def local_time(at: datetime, today: datetime) -> str:
    """HH:MM in the instance's time zone, with the date in front when it is not ``today``'s."""
    tz = current_app.config["PARKING_SETTINGS"].tz
    local = at.astimezone(tz)
    return local.strftime("%H:%M") if local.date() == today.astimezone(tz).date() else local.strftime("%Y-%m-%d %H:%M")


@bp.route("/")
def index() -> ResponseReturnValue:
    rows = load_lots(db(), public_only=True)
    moment = now()
    stale_since: str | None = None
    try:
        lots = [count_lot(lot, store()) for lot in rows]
    except REDIS_UNAVAILABLE as exc:
        log.warning("resident page shows the last known counts: Redis is unreachable (%s)", exc)
        lots, at = last_known().recall(rows)
        stale_since = local_time(at, moment) if at is not None else ""
    else:
        last_known().remember(lots, moment)
    tariffs = {lot.id: shown_tariff(db(), lot.id, moment) for lot in lots}
    response = render_template("public/index.html", lots=lots, tariffs=tariffs, language=current_language(),
                               stale=stale_since is not None, stale_since=stale_since)
    if stale_since is None:
        return response, 200, {"Cache-Control": "no-store"}
    return response, 503, {"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)}
