"""Every error under ``/api/`` in one JSON shape.

    {"error": {"code": 422, "status": "Unprocessable Entity",
               "message": "lot_id: Not a valid integer.", "field": "lot_id"}}

``field`` names the offending query argument, body field or path parameter, or is ``null``. Messages
are in English: the API speaks to programs and their developers, not to residents at a booth.
Validation errors from webargs, ``abort_json`` from the views, 401 from Flask-Login, 404/405 from
routing and 413 for oversized bodies all end here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from flask import Blueprint, Flask, Response, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from ..schemas.errors import ErrorSchema
from . import docs

API_PREFIX = "/api/"
API_EXTENSION_KEY = "parking.api"


class ParkingApi(Api):
    """flask-smorest's ``Api`` documenting our error shape and serving its browsable page from vendored
    files (``web.api.docs``); errors are handled by ``web.error_pages``."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # One handler for the whole app decides between JSON and HTML by path (see web.error_pages).
        pass

    def _register_swagger_ui_rule(self, blueprint: Blueprint) -> None:
        # flask-smorest's own page takes its scripts from a URL (a CDN) and starts them inline; ours does neither.
        blueprint.add_url_rule(f"/{docs.DOCS_PATH}", endpoint="docs", view_func=docs.docs_page)


class ApiError(HTTPException):
    """An HTTP error raised by an API view with a message, the field it concerns and any headers to send
    (e.g. ``WWW-Authenticate`` with a 401)."""

    def __init__(self, code: int, message: str, field: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(description=message)
        self.code = code
        self.field = field
        self.data = {"headers": dict(headers)} if headers else {}


def abort_json(code: int, message: str, field: str | None = None, *, headers: Mapping[str, str] | None = None) -> NoReturn:
    raise ApiError(code, message, field, headers)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _walk(messages: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from _walk(value, path)
    else:
        yield ".".join(path), str(messages)


def _validation(messages: Mapping[str, Any]) -> tuple[str, str | None]:
    """(message, first field) from webargs messages keyed by location: {"query": {"page": [...]}}."""
    problems = [(field.split(".", 1)[1] if "." in field else field, text) for field, text in _walk(messages)]
    if not problems:
        return "invalid request", None
    return "; ".join(f"{field}: {text}" for field, text in problems), problems[0][0]


def error_response(error: HTTPException) -> Response:
    code = error.code or 500
    field: str | None = getattr(error, "field", None)
    message = error.description or ""
    data = getattr(error, "data", None) or {}
    headers: dict[str, str] = dict(data.get("headers") or {})
    if "messages" in data:
        message, field = _validation(data["messages"])
    elif "message" in data:
        message = str(data["message"])
    if isinstance(error, RequestEntityTooLarge):
        limit = request.max_content_length
        message = f"request body larger than {limit} bytes" if limit else "request body too large"
    if code >= 500 and not isinstance(error, ApiError):  # a view's own 503 says what is wrong; a crash does not
        message = "internal error; the server log has the details"
    body = {"error": {"code": code, "status": error.name, "message": message, "field": field}}
    response = jsonify(body)
    response.status_code = code
    response.headers.update(headers)
    if isinstance(error, MethodNotAllowed):
        response.headers.update({k: v for k, v in error.get_headers() if k.lower() == "allow"})
    return response


def _reject_oversized() -> None:
    """Refuse a too-large body from its declared length, before a view reads any of it."""
    limit = request.max_content_length
    if is_api_request() and limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def api_for(app: Flask) -> ParkingApi:
    return app.extensions[API_EXTENSION_KEY]


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Parking")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")  # 3.1: a bearer requirement may name scopes (web.api.docs)
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"description": docs.DESCRIPTION}})
    api = app.extensions[API_EXTENSION_KEY] = ParkingApi(app)
    docs.declare_security(api.spec, app.config["SESSION_COOKIE_NAME"])
    app.before_request(_reject_oversized)
