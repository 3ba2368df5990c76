"""The payment platforms' asynchronous notifications, and the way back from their pages.

``POST /pay/notify/<method>`` (wechat, alipay) is how a platform tells us an order was paid. The body is
handed whole to the provider (``parse_notification``), which checks it is genuine and fresh:

- refused by the provider (``CallbackRejected``: signature, timestamp, certificate, decrypt, format,
  merchant): an audit row ``payment.callback_refused`` names the reason, and the platform reads the
  provider's failure reply;
- genuine: ``ledger.confirm_notification`` books it once, however often it is told; the platform reads
  success, for a duplicate too;
- genuine but refused by the ledger (an amount that differs from the order, an order we never placed):
  the ledger audits it (``payment.refused``) and the platform reads success. Both platforms' rules are
  to answer success once the merchant received a genuine notification and to settle differences by
  reconciliation and refund, not by retries (WeChat Pay: "商户系统收到通知后需要及时应答"; Alipay: a
  merchant that does not print ``success`` is notified again for 25 hours): a retry would bring the same
  amount again, and the refusal is already with the people who can act on it;
- anything else (the database or Redis unreachable, a bug): logged, and answered with the failure reply
  so that the platform tries again later. Never a 500 page.

Notifications are not CSRF-protected (the platforms sign them) and not rate-limited (the platforms
retry); bodies over ``MAX_NOTIFICATION_BYTES`` are refused with 413 before the provider reads them.

``GET /pay/return/<method>?out_trade_no=`` is where a platform's page may send the payer back (Alipay's
``return_url`` names it; it appends the order number): it leads to the order's result page. The order
number is our 128-bit random payment uid, given to the payer by the platform itself.
"""

from __future__ import annotations

import logging

from flask import Response, redirect, request, url_for
from sqlalchemy import select
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from parking.models import Payment
from parking.payments.base import CallbackRejected, Provider
from parking.services import ledger

from ..context import db, now, store
from ..extensions import csrf
from . import bp
from .pay_context import PHONE_METHODS, links, providers

log = logging.getLogger(__name__)

MAX_NOTIFICATION_BYTES = 64 * 1024


def _reply(provider: Provider, accepted: bool, message: str = "") -> Response:
    answer = provider.reply(accepted, message)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


def _body() -> bytes:
    declared = request.content_length
    if declared is not None and declared > MAX_NOTIFICATION_BYTES:
        raise RequestEntityTooLarge()
    body = request.get_data(cache=True)  # a chunked body is read up to the app's limit, then measured
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise RequestEntityTooLarge()
    return body


@csrf.exempt
@bp.route("/pay/notify/<method>", methods=["POST"])
def pay_notify(method: str) -> ResponseReturnValue:
    provider = providers().get(method) if method in PHONE_METHODS else None
    if provider is None:
        raise NotFound()
    body = _body()
    headers = request.headers  # looked up by name whatever its case (Wechatpay-Signature, wechatpay-signature)
    moment = now()
    session = db()
    try:
        try:
            notification = provider.parse_notification(headers, body, moment)  # type: ignore[arg-type]
        except CallbackRejected as exc:
            log.warning("%s notification refused (%s): %s", method, exc.reason, exc.message)
            ledger.refuse_callback(session, method, exc.reason, exc.message, moment)
            return _reply(provider, False, exc.message[:100])
        result = ledger.confirm_notification(session, store(), provider, notification, moment)
        log.info("%s notification for order %s: %s %s", method, notification.out_trade_no, result.outcome, result.reason)
        return _reply(provider, True)
    except Exception:  # noqa: BLE001  (the platform retries a failure; a 500 would tell it nothing more)
        log.exception("%s notification could not be handled; the platform will send it again", method)
        session.rollback()
        return _reply(provider, False, "temporarily unavailable")


@bp.route("/pay/return/<method>")
def pay_return(method: str) -> ResponseReturnValue:
    if method not in PHONE_METHODS:
        raise NotFound()
    number = request.args.get("out_trade_no", "")
    payment = db().scalar(select(Payment).where(Payment.uid == number)) if 0 < len(number) <= 40 else None
    if payment is None or payment.method.value != method:
        raise NotFound()
    return redirect(url_for("public.pay_order", code=links().order_code(payment.uid)), 303)
