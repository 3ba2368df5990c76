"""The one handler for HTTP errors: JSON in the API's shape under ``/api/``, a translated page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .api.errors import error_response, is_api_request

log = logging.getLogger(__name__)


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    if is_api_request():
        return error_response(error)
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions (RequestRedirect) keep their own response
    return render_template("error.html", error=error), error.code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
