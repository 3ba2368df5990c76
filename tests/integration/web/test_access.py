"""Who may open what: every route is either on the public allow-list or needs sign-in, and the routes
kept for administrators and managers answer 403 to an attendant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.snapshots import SnapshotStore
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]

PUBLIC_ENDPOINTS = {
    "static",
    "public.index",
    "auth.login",
    "api.availability",
    "api-docs.openapi_json",
    "api-docs.docs",
}
# Phone payment (出口码, 场内预付, order results, e-receipts, the platforms' notifications): public, but each
# page opens only with its own code, so a made-up one is not found; /pay/find is the one open door.
PUBLIC_BY_CODE = {"public.pay_exit": 404, "public.pay_stay": 404, "public.pay_order": 404, "public.pay_order_status": 404,
                  "public.receipt": 404, "public.pay_notify": 404, "public.pay_return": 404}
# A merchant's coupon page opens with the merchant's key, a printed coupon's with its code: made-up ones are not found.
PUBLIC_BY_CODE |= {"public.merchant_page": 404, "public.claim_coupon": 404}
PUBLIC_ENDPOINTS |= {"public.pay_find", *PUBLIC_BY_CODE}
ADMIN_AND_MANAGER_ONLY = {"console.passes", "console.zombies", "api.list_passes"}
ADMIN_AND_MANAGER_ONLY |= {"console.exit_codes"}  # the exit QR codes (出口码) to print and put up
# Passes, their products and changes to the lists (issue 10 items 4 and 5): attendants read the lists and register visitors only.
ADMIN_AND_MANAGER_ONLY |= {
    "console.new_pass", "console.pass_detail", "console.end_pass", "console.expiring_passes", "console.export_passes",
    "console.import_passes", "console.pass_products", "console.pass_product",
    "api.issue_pass", "api.get_pass", "api.update_pass", "api.set_pass_plates", "api.renew_pass", "api.suspend_pass", "api.resume_pass",
    "api.pass_refund_quote", "api.end_pass", "api.expiring_passes", "api.export_passes",
    "api.list_pass_products", "api.create_pass_product", "api.get_pass_product", "api.update_pass_product", "api.delete_pass_product",
    "api.add_list_entry", "api.update_list_entry", "api.delete_list_entry",
}
# Merchants, their coupons and the lots' campaigns: administrators and managers (auditors read).
ADMIN_AND_MANAGER_ONLY |= {
    "console.merchants", "console.merchant_detail", "console.campaigns", "console.campaign_detail",
    "api.list_merchants", "api.create_merchant", "api.get_merchant", "api.update_merchant", "api.replace_merchant_key", "api.list_coupons",
    "api.issue_coupons", "api.get_coupon", "api.void_coupon", "api.list_campaigns", "api.create_campaign", "api.get_campaign", "api.update_campaign",
}
# The booth's shifts (交班): managers and administrators confirm closed shifts; attendants open and close their own.
ADMIN_AND_MANAGER_ONLY |= {"api.confirm_shift"}
ADMIN_ONLY = {"api.create_token", "api.list_api_tokens", "api.get_api_token", "api.revoke_api_token"}
# Site configuration and tariff upload (issue 10 items 2 and 3): administrators only.
ADMIN_ONLY |= {
    "api.create_device", "api.create_lane", "api.create_lot", "api.create_site", "api.create_zone", "api.delete_device", "api.delete_lane",
    "api.delete_lot", "api.delete_site", "api.delete_zone", "api.export_site_file", "api.get_lot_config", "api.import_site_file",
    "api.list_sites", "api.preview_tariff", "api.publish_tariff_version", "api.set_capacities", "api.test_device", "api.update_device",
    "api.update_lane", "api.update_lot", "api.update_site", "api.update_zone",
    "console.lot_config", "console.site_config", "console.site_file_download",
}
# Their console forms are POST only: without a CSRF token they answer 400 before the role is looked at.
SITE_FORMS = {
    "console.device_create", "console.device_delete", "console.device_test", "console.device_update", "console.lane_create",
    "console.lane_delete", "console.lane_update", "console.lot_capacities", "console.lot_create", "console.lot_delete", "console.lot_update",
    "console.site_create", "console.site_delete", "console.site_file_upload", "console.site_update", "console.tariff_preview",
    "console.tariff_publish", "console.zone_create", "console.zone_delete", "console.zone_update",
}
PARKED = "粤B12345"
SNAPSHOT = f"1/{FIXED_NOW.date().isoformat()}/access-scene.jpg"
# Arguments a route cannot answer without: the fee is quoted for a car parked in the lot; a snapshot is
# served by the path it was stored under (``_store_snapshot``).
REQUIRED_ARGUMENTS = {"api.lot_fee": {"plate": PARKED}, "console.snapshot": {"path": SNAPSHOT}, "api.lane_command_state": {"uid": "0" * 32}}
# What the lane commands answer to a POST with neither body nor CSRF token: refused for the request, not the role.
ANSWER_WITHOUT_BODY = {"console.lane_gate": 400, "console.lane_text": 400, "api.send_lane_command": 422,
                       "api.lane_command_state": 404}  # no command of that uid: not found for the role, not refused
ANSWER_WITHOUT_BODY |= {name: 400 for name in SITE_FORMS}
# The pass import takes a form upload, so the CSRF check (400) comes before the role; a visitor needs a body
# (422) and cancelling one needs one that exists (404).
ANSWER_WITHOUT_BODY |= {"api.import_passes": 400, "api.register_visitor": 422, "api.cancel_visitor": 404}
# Replacing a merchant's key and voiding a coupon are POST forms: 400 without a CSRF token, before the role.
ANSWER_WITHOUT_BODY |= {"console.replace_merchant_key": 400, "console.void_coupon": 400}
# The booth: its POST forms answer 400 without a CSRF token; a payment or shift of a made-up uid is not found;
# opening a shift needs a body (422) and so does closing one.
ANSWER_WITHOUT_BODY |= {name: 400 for name in ("console.lane_cash", "console.lane_order", "console.check_payment", "console.open_shift",
                                               "console.close_shift", "console.confirm_shift")}
ANSWER_WITHOUT_BODY |= {name: 404 for name in ("console.payment_status", "console.payment_receipt", "console.shift_detail",
                                               "console.shift_print", "api.get_shift")}
ANSWER_WITHOUT_BODY |= {"api.open_shift": 422, "api.close_shift": 422}
# Operator accounts and the audit log (issue 10 item 6): pages for administrators (the audit log for auditors
# too, ``test_account_routes``); their POST forms answer 400 without a CSRF token before the role is looked at.
ADMIN_ONLY |= {"console.operators_page", "console.edit_operator", "console.audit_log", "console.audit_log_csv"}
ANSWER_WITHOUT_BODY |= {"console.create_operator": 400, "console.disable_operator": 400, "console.enable_operator": 400,
                        "console.reset_operator_password": 400}
# Their API twins (issue 10 item 7): administrators only, the audit log for auditors too.
ADMIN_ONLY |= {"api.list_operators", "api.create_operator", "api.get_operator", "api.update_operator", "api.disable_operator",
               "api.enable_operator", "api.reset_operator_password", "api.audit_log"}
# Revenue reports and bill reconciliation: administrators, managers and auditors.
ADMIN_AND_MANAGER_ONLY |= {"console.revenue", "console.revenue_csv", "console.revenue_xlsx", "console.reconciliation",
                           "api.revenue_report_api", "api.reconciliation_api"}

# Payments with their refunds, and arrears: everyone reads; refunds (the API's; the console's POST forms answer
# 400 without a CSRF token) are for managers and administrators; a payment of a made-up uid is not found.
ADMIN_AND_MANAGER_ONLY |= {"api.refund_payment"}
ANSWER_WITHOUT_BODY |= {"console.refund_payment": 400, "console.waive_arrears": 400, "console.payment_detail": 404, "api.get_payment": 404}
REQUIRED_ARGUMENTS |= {name: {"uid": "0" * 32} for name in ("console.payment_detail", "console.refund_payment", "console.waive_arrears",
                                                          "api.get_payment", "api.refund_payment")}


def _routes(app: Flask) -> Iterator[Rule]:
    yield from sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def _request(client: FlaskClient, rule: Rule, village: DemoVillage):  # type: ignore[no-untyped-def]
    values = {arg: village.community_lot_id for arg in rule.arguments} | REQUIRED_ARGUMENTS.get(rule.endpoint, {})
    if rule.endpoint == "static":
        values = {"filename": "css/parking.css"}
    with client.application.test_request_context():
        from flask import url_for

        url = url_for(rule.endpoint, **values)
    methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
    method = "GET" if "GET" in methods else "POST" if "POST" in methods else sorted(methods)[0]
    return client.open(url, method=method)


def test_every_route_not_on_the_allow_list_needs_sign_in(app: Flask, client: FlaskClient, village: DemoVillage) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # so a POST-only route answers for sign-in, not for the token
    served_anonymously = set()
    for rule in _routes(app):
        response = _request(client, rule, village)
        if rule.rule.startswith("/api/"):
            if response.status_code != 401:
                served_anonymously.add(rule.endpoint)
            else:
                assert response.get_json()["error"]["code"] == 401
        elif not (response.status_code == 302 and response.headers["Location"].startswith("/auth/login")):
            served_anonymously.add(rule.endpoint)
    assert served_anonymously == PUBLIC_ENDPOINTS


def test_public_endpoints_answer_200_without_sign_in(app: Flask, client: FlaskClient, village: DemoVillage) -> None:
    statuses = {rule.endpoint: _request(client, rule, village).status_code for rule in _routes(app) if rule.endpoint in PUBLIC_ENDPOINTS}
    assert statuses == {endpoint: PUBLIC_BY_CODE.get(endpoint, 200) for endpoint in PUBLIC_ENDPOINTS}


def _store_snapshot(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    image = BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(image, "JPEG")
    stored = SnapshotStore(runtime.settings.instance_path / "snapshots").save(1, FIXED_NOW, "scene", image.getvalue(), ref="access")
    assert stored.path == SNAPSHOT


def test_attendant_is_refused_only_the_admin_and_manager_routes(app: Flask, client: FlaskClient, village: DemoVillage, runtime: Runtime, login, admit) -> None:  # type: ignore[no-untyped-def]
    admit(PARKED)
    _store_snapshot(runtime)
    assert login("attendant").status_code == 302
    refused, served = set(), set()
    for rule in _routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint == "auth.logout":  # signing out has its own tests
            continue
        status = _request(client, rule, village).status_code
        (refused if status == 403 else served).add((rule.endpoint, status))
    assert {endpoint for endpoint, _ in refused} == ADMIN_AND_MANAGER_ONLY | ADMIN_ONLY
    assert {(endpoint, status) for endpoint, status in served if endpoint in ANSWER_WITHOUT_BODY} == set(ANSWER_WITHOUT_BODY.items())
    assert {status for endpoint, status in served if endpoint not in ANSWER_WITHOUT_BODY} == {200}


@pytest.mark.parametrize("username", ["admin", "manager"])
def test_admin_and_manager_may_open_the_passes(client: FlaskClient, login, username: str) -> None:  # type: ignore[no-untyped-def]
    login(username)
    assert client.get("/console/passes").status_code == 200
    assert client.get("/api/v1/passes").status_code == 200


def test_forbidden_api_route_answers_403_in_the_error_shape(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.get("/api/v1/passes")
    assert response.status_code == 403
    assert response.get_json() == {
        "error": {
            "code": 403,
            "status": "Forbidden",
            "message": "role 'attendant' may not use this resource; allowed: admin, manager",
            "field": None,
        }
    }


def test_console_page_redirects_to_sign_in_with_the_page_to_return_to(client: FlaskClient) -> None:
    response = client.get("/console/sessions?status=open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/console/sessions?status%3Dopen"
