"""How the API describes itself: the security schemes of the OpenAPI document and the browsable page.

- ``/api/v1/openapi.json`` (flask-smorest) declares two ways in: ``bearerToken``, an integration token
  sent as ``Authorization: Bearer pk_…``, and ``operatorSession``, the console's session cookie. Each
  operation lists what opens it (``roles_required`` puts it there): a token with the operation's scope
  or ``admin``, or a signed-in operator. The document is OpenAPI 3.1, where a bearer requirement may
  name such scopes (3.0 allowed them for OAuth only).
- ``/api/v1/docs`` is Swagger UI over that document, from the files vendored under
  ``web/static/vendor/swagger-ui`` and started by ``web/static/js/api-docs.js`` (the content security
  policy allows no inline script), so the page loads nothing from another origin. The page is public;
  trying an operation from it needs a token (its Authorize button) or a console session in the browser.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, url_for

from parking.services.tokens import SCOPES, SECRET_CHARS, TOKEN_PREFIX

BEARER_SCHEME = "bearerToken"
SESSION_SCHEME = "operatorSession"
DOCS_PATH = "docs"

_SCOPE_LINES = "\n".join(f"- `{scope}`: {meaning}" for scope, meaning in SCOPES.items())

DESCRIPTION = f"""Lots, lanes, sessions, passes and availability of the parking system.

**Authentication.** Programs send an integration token as `Authorization: Bearer {TOKEN_PREFIX}…`. An
administrator issues one with `parking token create --name NAME --scope SCOPE` or `POST /api/v1/tokens`;
it is shown once. Each operation names the scope it needs; a token without it gets 403 naming the scope,
and a malformed, unknown, revoked or expired token gets 401. Operators signed in to the console use the
same routes with their session cookie, by their role. Errors have one JSON shape:
`{{"error": {{"code", "status", "message", "field"}}}}`.

**Scopes**

{_SCOPE_LINES}
"""

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": f"{TOKEN_PREFIX} and {SECRET_CHARS} URL-safe characters",
        "description": "An integration token. Each operation lists the scopes that open it; `admin` opens every one.",
    },
    SESSION_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",  # set from SESSION_COOKIE_NAME by declare_security
        "description": "The session of an operator signed in to the console (/auth/login); what it opens depends on the role.",
    },
}


def declare_security(spec: Any, cookie_name: str) -> None:
    """Add the security schemes to ``spec`` (an apispec ``APISpec``)."""
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, {**scheme, "name": cookie_name} if scheme["type"] == "apiKey" else dict(scheme))


def docs_page() -> str:
    """Swagger UI over the OpenAPI document, from vendored files only."""
    return render_template(
        "api/docs.html",
        title=current_app.config["API_TITLE"],
        version=current_app.config["API_VERSION"],
        spec_url=url_for("api-docs.openapi_json"),
    )
