"""The printed receipt (小票) of a booth payment: ``/console/payments/<uid>/receipt``, a page laid out for a
58 mm or 80 mm receipt printer (``?paper=58``; 80 by default) with a print button. Only a paid (or since
refunded) payment has one; an order not paid, or a payment of a lot the caller does not see, is not found.
"""

from __future__ import annotations

import segno
from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from parking.models import PaymentStatus

from ..auth.roles import roles_required
from ..booth_receipt import booth_receipt
from ..context import now
from ..money_words import DISCOUNT_WORDS
from . import bp
from .booth import payment_or_404
from .lane_feedback import LANE_ROLES

PAPERS = ("80", "58")


@bp.route("/payments/<uid>/receipt")
@roles_required(*LANE_ROLES)
def payment_receipt(uid: str) -> ResponseReturnValue:
    payment = payment_or_404(uid)
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        abort(404)
    receipt = booth_receipt(payment)
    paper = request.args.get("paper", "80")
    qr = segno.make(receipt.link, error="m").svg_inline(scale=1, border=2, omitsize=True, title=_("电子小票")) if receipt.link else ""
    return render_template("console/receipt.html", receipt=receipt, paper=paper if paper in PAPERS else "80", papers=PAPERS,
                           qr=Markup(qr), printed_at=now().astimezone(receipt.tz),
                           discount_words=DISCOUNT_WORDS)  # noqa: S704  (segno draws modules only)
