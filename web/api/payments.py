"""``/api/v1/payments``: payments with their refunds, and refunds by a manager; ``/api/v1/arrears``: what
cars owe after leaving unpaid, with its ageing.

Reading needs the ``payments:read`` scope or any signed-in role; an operator bound to sites sees only
their lots' payments and arrears (another lot's payment is not found). A refund needs a manager or an
administrator signed in (a token with ``payments:write`` gets past the door but acts for nobody, so its
refund is refused naming ``operator``); it goes through ``parking.services.refunds`` (audited, the
ledger unchanged when refused): 404 an unknown payment, 409 one not paid, a cash refund with no open
shift of the manager at its lot, or a platform that did not refund; 422 a bad amount or reason. The body
is JSON, so the route is exempt from the form CSRF token (as ``web.api.lane_commands``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from parking.models import Arrears, ArrearsStatus, Payment
from parking.services import arrears_queries, payment_queries, refunds

from ..auth.roles import roles_required
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..public.pay_context import providers
from ..queries import paginate
from ..schemas.errors import ErrorSchema
from ..schemas.ledger import (
    ArrearsPageSchema, ArrearsQuerySchema, ArrearsSchema, PaymentDetailSchema, PaymentPageSchema, PaymentQuerySchema, PaymentSchema,
    RefundRequestSchema, PaymentRefundSchema,
)
from . import bp
from .errors import abort_json
from .passes import check_lot, visible_ids

REFUNDERS = ("admin", "manager")
STATUS_OF_REFUSAL = {"not_found": 404, "not_paid": 409, "no_shift": 409, "provider": 409, "forbidden": 403, "invalid": 422}
UID = "<string(length=32):uid>"


def _payment_or_404(uid: str) -> Payment:
    found = payment_queries.find(db(), uid, visible_ids())
    if found is None:
        abort_json(404, f"payment {uid} not found", field="uid")
    return found


def _detail(payment: Payment) -> dict[str, Any]:
    view = payment_queries.detail(db(), payment)
    return {**{name: getattr(payment, name) for name in PaymentSchema._declared_fields}, "quote": payment.quote,
            "refundable_fen": view.refundable_fen, "refunds": view.refunds, "paid_back": view.paid_back}


def _arrears(row: Arrears, moment: datetime, tz: ZoneInfo) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in ArrearsSchema._declared_fields if hasattr(row, name)},
            "owed_fen": row.amount_fen - row.paid_fen if row.status == ArrearsStatus.OPEN else 0,
            "age_days": arrears_queries.age_days(row.created_at, moment, tz), "age_band": arrears_queries.age_band(row.created_at, moment, tz)}


@bp.route("/payments", methods=["GET"])
@roles_required(scope="payments:read")
@bp.arguments(PaymentQuerySchema, location="query", as_kwargs=True)
@bp.response(200, PaymentPageSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad filter or page (`field` says which)")
@bp.doc(tags=["payments"], summary="Payments, newest first: by lot, plate, method, status, stay and time")
def list_payments(page: int, per_page: int, lot_id: int | None = None, plate: str = "", method: str = "", status: str = "",
                  session_uid: str = "", since: datetime | None = None, until: datetime | None = None) -> Any:
    check_lot(lot_id)
    query = payment_queries.search(lot_ids=visible_ids(), lot_id=lot_id, plate=plate, method=method, status=status,
                                   session_uid=session_uid, since=since, until=until)
    result = paginate(db(), query, page, per_page)
    return {"items": result.items, "page": result.page, "per_page": result.per_page, "total": result.total, "pages": result.pages}


@bp.route(f"/payments/{UID}", methods=["GET"])
@roles_required(scope="payments:read")
@bp.response(200, PaymentDetailSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such payment (or one of a lot the caller does not see)")
@bp.doc(tags=["payments"], summary="One payment: the quote it settled, the arrears it paid back, its refunds and what is left to refund")
def get_payment(uid: str) -> Any:
    return _detail(_payment_or_404(uid))


@bp.route(f"/payments/{UID}/refunds", methods=["POST"])
@roles_required(*REFUNDERS, scope="payments:write")
@bp.arguments(RefundRequestSchema, location="json")
@bp.response(201, PaymentRefundSchema, description="Refunded, or pending at the platform (``status`` says which)")
@bp.alt_response(404, schema=ErrorSchema, description="No such payment")
@bp.alt_response(409, schema=ErrorSchema, description="Not paid; cash with no open shift of the manager at its lot; the platform did not refund")
@bp.alt_response(422, schema=ErrorSchema, description="An amount of 0 or less, or above what is left to refund; no reason; a token (no manager)")
@bp.doc(tags=["payments"], summary="Refund part or all of a payment to its method (a manager)")
def refund_payment(body: dict[str, Any], uid: str) -> Any:
    payment = _payment_or_404(uid)
    operator_id, _token = actor()
    if operator_id is None:
        abort_json(422, "operator: a refund is made by a manager signed in; an API token acts for nobody", field="operator")
    try:
        row = refunds.refund(db(), store(), providers(), payment.uid, amount_fen=body["amount_fen"], reason=body["reason"],
                             operator_id=operator_id, at=now())
    except refunds.RefundError as error:
        abort_json(STATUS_OF_REFUSAL.get(error.code, 422), str(error), field=error.field)
    return row, 201


csrf.exempt(refund_payment)


@bp.route("/arrears", methods=["GET"])
@roles_required(scope="payments:read")
@bp.arguments(ArrearsQuerySchema, location="query", as_kwargs=True)
@bp.response(200, ArrearsPageSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad filter or page (`field` says which)")
@bp.doc(tags=["payments"], summary="Arrears (欠费), oldest first, with what is still owed by age (0-7, 8-30, 31-90, >90 days)")
def list_arrears(page: int, per_page: int, status: str, lot_id: int | None = None, plate: str = "") -> Any:
    check_lot(lot_id)
    query = arrears_queries.search(lot_ids=visible_ids(), lot_id=lot_id, plate=plate, status="" if status == "all" else status)
    result = paginate(db(), query, page, per_page)
    tz, moment = current_app.config["PARKING_SETTINGS"].tz, now()
    bands = arrears_queries.ageing(db(), moment, tz, lot_ids=visible_ids(), lot_id=lot_id, plate=plate)
    return {"items": [_arrears(row, moment, tz) for row in result.items], "page": result.page, "per_page": result.per_page, "total": result.total, "pages": result.pages,
            "owed_fen": arrears_queries.owed_total(bands), "ageing": [{"band": b.name, "count": b.count, "owed_fen": b.owed_fen} for b in bands]}
