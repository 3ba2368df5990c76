"""``/console/snapshots/<path>``: a stored camera snapshot (JPEG), or its thumbnail with ``?thumb=1``.

Snapshots are personal data: only signed-in operators get them, never cached by a shared cache. The path
is the one stored on the stay, checked by ``SnapshotStore.open``; a refused path (or one longer than any
stored path can be) and a purged snapshot are all 404.
"""

from __future__ import annotations

from flask import abort, request, send_file
from flask.typing import ResponseReturnValue

from parking.snapshots import SnapshotError

from ..auth.roles import login_required
from ..auth.sites import lot_visible
from ..snapshots import stored_file
from . import bp

CACHE_SECONDS = 300
PATH_MAX_CHARS = 255


@bp.route("/snapshots/<path:path>")
@login_required
def snapshot(path: str) -> ResponseReturnValue:
    lot_text = path.split("/", 1)[0]  # stored as <lot id>/<date>/<file>
    if len(path) > PATH_MAX_CHARS or not (lot_text.isascii() and lot_text.isdigit() and len(lot_text) <= 10 and lot_visible(int(lot_text))):
        abort(404)  # refused, or another site's snapshot: not found either way
    try:
        found = stored_file(path, thumb=request.args.get("thumb") == "1")
    except (SnapshotError, FileNotFoundError):
        abort(404)
    response = send_file(found, mimetype="image/jpeg", conditional=True, max_age=CACHE_SECONDS)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
