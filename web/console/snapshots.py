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
from ..snapshots import stored_file
from . import bp

CACHE_SECONDS = 300
PATH_MAX_CHARS = 255


@bp.route("/snapshots/<path:path>")
@login_required
def snapshot(path: str) -> ResponseReturnValue:
    if len(path) > PATH_MAX_CHARS:
        abort(404)
    try:
        found = stored_file(path, thumb=request.args.get("thumb") == "1")
    except (SnapshotError, FileNotFoundError):
        abort(404)
    response = send_file(found, mimetype="image/jpeg", conditional=True, max_age=CACHE_SECONDS)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
