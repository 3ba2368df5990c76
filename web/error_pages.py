"""The one handler for HTTP errors: JSON in the API's shape under ``/api/``, a translated page elsewhere.

Redis unreachable (refused, timed out, or still loading after a restart) is not a crash: every page and
API route answers 503 with ``Retry-After`` and a clear message (in the user's language on pages, in the
API's JSON error shape under ``/api/``), and the next request after Redis returns is served normally,
since the connection pool reconnects by itself. Console pages keep their navigation; pages that can be
shown from SQL alone and the last known counts (the resident page) do so themselves.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from parking.runtime import REDIS_UNAVAILABLE

from .api.errors import ApiError, error_response, is_api_request

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
LIVE_STATE_UNAVAILABLE = "live parking data (Redis) is unreachable; the system is recovering by itself, try again in a few seconds"


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    if is_api_request():
        return error_response(error)
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions (RequestRedirect) keep their own response
    return render_template("error.html", error=error), error.code


def _wants_json() -> bool:
    """A script's fetch (the dashboard's live poll) asking for JSON rather than a page."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def handle_redis_unavailable(exc: Exception) -> ResponseReturnValue:
    log.warning("%s %s answered 503: Redis is unreachable (%s)", request.method, request.path, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_api_request() or _wants_json():
        response = error_response(ApiError(503, LIVE_STATE_UNAVAILABLE))
        response.headers.update(headers)
        return response
    error = ServiceUnavailable(LIVE_STATE_UNAVAILABLE)
    template = "console/unavailable.html" if request.blueprint == "console" else "error.html"
    page = render_template(template, error=error, live_state_down=True, refresh=request.method == "GET")
    return page, 503, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    for kind in REDIS_UNAVAILABLE:
        app.register_error_handler(kind, handle_redis_unavailable)
