"""Every API route declares the scope a token needs (taken from ``app.url_map``, so a route added later is
checked without touching this file): a token holding every other scope is refused with 403 naming it, a
token holding just that scope gets past the door, and the OpenAPI operation lists the same scope."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.tokens import ADMIN_SCOPE, SCOPES, issue_token
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]

# Served to anyone, so no token is asked for: the public feed, the OpenAPI document and its page.
PUBLIC_API_ENDPOINTS = {"api.availability", "api-docs.openapi_json", "api-docs.docs"}
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <converter(args):name> in a rule
SCOPE_OF_ROUTE = {
    ("GET", "/api/v1/lanes"): "lanes:read",
    ("POST", "/api/v1/lanes/<int:lane_id>/commands"): "lanes:write",
    ("GET", "/api/v1/lanes/<int:lane_id>/commands/<string(length=32):uid>"): "lanes:read",
    ("GET", "/api/v1/lots"): "lots:read",
    ("GET", "/api/v1/lots/<int:lot_id>"): "lots:read",
    ("GET", "/api/v1/lots/<int:lot_id>/fee"): "sessions:read",
    ("GET", "/api/v1/lots/<int:lot_id>/occupancy"): "availability:read",
    ("GET", "/api/v1/lots/<int:lot_id>/tariff"): "lots:read",
    ("GET", "/api/v1/passes"): "passes:read",
    ("GET", "/api/v1/sessions"): "sessions:read",
    ("POST", "/api/v1/tokens"): "admin",
    ("GET", "/api/v1/tokens"): "admin",
    ("GET", "/api/v1/tokens/<int:token_id>"): "admin",
    ("DELETE", "/api/v1/tokens/<int:token_id>"): "admin",
    ("GET", "/api/v1/operators"): "admin",
    ("POST", "/api/v1/operators"): "admin",
    ("GET", "/api/v1/operators/<int:operator_id>"): "admin",
    ("PATCH", "/api/v1/operators/<int:operator_id>"): "admin",
    ("POST", "/api/v1/operators/<int:operator_id>/disable"): "admin",
    ("POST", "/api/v1/operators/<int:operator_id>/enable"): "admin",
    ("POST", "/api/v1/operators/<int:operator_id>/reset-password"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/reports/revenue"): "reports:read",
    ("GET", "/api/v1/reports/reconciliation"): "reports:read",
    ("GET", "/api/v1/shifts"): "shifts:read",
    ("GET", "/api/v1/shifts/<uid>"): "shifts:read",
    ("POST", "/api/v1/shifts"): "shifts:write",
    ("POST", "/api/v1/shifts/<uid>/close"): "shifts:write",
    ("POST", "/api/v1/shifts/<uid>/confirm"): "shifts:write",
    ("GET", "/api/v1/merchants"): "coupons:read",
    ("POST", "/api/v1/merchants"): "coupons:write",
    ("PATCH", "/api/v1/merchants/<int:merchant_id>"): "coupons:write",
    ("POST", "/api/v1/merchants/<int:merchant_id>/key"): "coupons:write",
    ("GET", "/api/v1/coupons"): "coupons:read",
    ("POST", "/api/v1/coupons"): "coupons:write",
    ("POST", "/api/v1/coupons/<int:coupon_id>/void"): "coupons:write",
    ("GET", "/api/v1/campaigns"): "coupons:read",
    ("POST", "/api/v1/campaigns"): "coupons:write",
    ("PATCH", "/api/v1/campaigns/<int:campaign_id>"): "coupons:write",
    ("GET", "/api/v1/payments"): "payments:read",
    ("GET", "/api/v1/payments/<string(length=32):uid>"): "payments:read",
    ("POST", "/api/v1/payments/<string(length=32):uid>/refunds"): "payments:write",
    ("GET", "/api/v1/arrears"): "payments:read",
}


def api_routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    """Every (rule, method) under /api/ that is not public."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/") and rule.endpoint not in PUBLIC_API_ENDPOINTS:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def required_scope(app: Flask, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "required_scope", None)


def _url(app: Flask, rule: Rule, village: DemoVillage) -> str:
    """The rule's URL with an existing id for each ``int`` variable and 32 zeros (a command uid) for any other."""
    values = {name: village.community_lot_id if converter == "int" else "0" * 32 for converter, name in VARIABLE.findall(rule.rule)}
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _openapi_path(rule: Rule) -> str:
    return VARIABLE.sub(lambda match: "{" + match.group(2) + "}", rule.rule)


def _token(runtime: Runtime, *scopes: str) -> str:
    with runtime.sessions() as db:
        return issue_token(db, name="scope check", scopes=scopes, now=FIXED_NOW).secret


def test_every_api_route_declares_a_known_scope(app: Flask) -> None:
    declared = {(method, rule.rule): required_scope(app, rule) for rule, method in api_routes(app)}
    assert {route: scope for route, scope in declared.items() if scope not in SCOPES} == {}
    # The routes that exist when this was written, with their scopes; routes added later need only a scope.
    assert {route: declared.get(route) for route in SCOPE_OF_ROUTE} == SCOPE_OF_ROUTE


def test_a_token_lacking_the_routes_scope_is_refused_and_one_holding_it_is_let_in(app: Flask, client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    refused, expected, shut_out = {}, {}, []
    for rule, method in api_routes(app):
        scope = required_scope(app, rule)
        assert scope is not None, f"{method} {rule.rule} declares no scope"
        others = [s for s in SCOPES if s not in (scope, ADMIN_SCOPE)]
        url = _url(app, rule, village)
        without = client.open(url, method=method, headers={"Authorization": f"Bearer {_token(runtime, *others)}"})
        refused[(method, rule.rule)] = (without.status_code, without.get_json()["error"]["message"].partition(" lacks ")[2])
        expected[(method, rule.rule)] = (403, f"the scope {scope!r} this resource needs (it has: {', '.join(others)})")
        holding = client.open(url, method=method, headers={"Authorization": f"Bearer {_token(runtime, scope)}"})
        if holding.status_code in (401, 403):
            shut_out.append((method, rule.rule, holding.status_code))
    assert refused == expected
    assert shut_out == []


def test_an_admin_token_is_let_in_everywhere(app: Flask, client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    statuses = {}
    for rule, method in api_routes(app):
        response = client.open(_url(app, rule, village), method=method, headers={"Authorization": f"Bearer {_token(runtime, ADMIN_SCOPE)}"})
        statuses[(method, rule.rule)] = response.status_code
    assert {route: status for route, status in statuses.items() if status in (401, 403)} == {}


def test_each_operation_in_the_openapi_document_names_its_scope(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"] == {
        "bearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "pk_ and 32 URL-safe characters",
                        "description": "An integration token. Each operation lists the scopes that open it; `admin` opens every one."},
        "operatorSession": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The session of an operator signed in to the console (/auth/login); what it opens depends on the role."},
    }
    documented = {}
    for rule, method in api_routes(app):
        documented[(method, rule.rule)] = document["paths"][_openapi_path(rule)][method.lower()]["security"]
    expected = {}
    for rule, method in api_routes(app):
        scope = required_scope(app, rule)
        bearer = [{"bearerToken": [scope]}] + ([{"bearerToken": ["admin"]}] if scope != "admin" else [])
        expected[(method, rule.rule)] = bearer + [{"operatorSession": []}]
    assert documented == expected
    assert document["paths"]["/api/v1/public/availability"]["get"]["security"] == []
    assert document["paths"]["/api/v1/lanes/{lane_id}/commands"]["post"]["security"] == [
        {"bearerToken": ["lanes:write"]}, {"bearerToken": ["admin"]}, {"operatorSession": []}]


def test_the_document_describes_every_scope(client: FlaskClient) -> None:
    description = client.get("/api/v1/openapi.json").get_json()["info"]["description"]
    assert [line for line in description.splitlines() if line.startswith("- `")] == [
        "- `availability:read`: live occupancy and free spaces of lots",
        "- `lots:read`: lots with their zones and pools, and the tariffs that price them",
        "- `sessions:read`: parking sessions, and the fee a parked car would pay",
        "- `passes:read`: passes and their plates, whitelist and blacklist entries, visitor registrations",
        "- `passes:write`: issuing and changing passes, list entries and visitor registrations",
        "- `lanes:read`: lanes, and the fate of commands sent to them",
        "- `lanes:write`: opening and closing gates by hand, and texts on lane boards",
        "- `payments:read`: payments with their refunds, and arrears (欠费) with their ageing",
        "- `payments:write`: recording payments",
        "- `reports:read`: revenue reports and the reconciliation of the payment platforms' bills",
        "- `shifts:read`: attendants' shifts (交班) and their reports",
        "- `shifts:write`: opening and closing shifts, and confirming closed ones",
        "- `coupons:read`: merchants, the coupons they issued and used, and the lots' campaigns",
        "- `coupons:write`: merchants, their coupons and the lots' campaigns: creating, changing, issuing and voiding",
        "- `admin`: everything, including site configuration, accounts and tokens (implies every other scope)",
    ]
