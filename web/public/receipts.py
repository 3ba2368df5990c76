"""The e-receipt (电子小票) ``/r/<code>``: a stay's receipt (``parking.services.receipts``) on a phone,
the plate masked. The code is the stay's own (``pay_links``); one that does not verify is 404."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from parking.services.receipts import stay_receipt

from ..context import db, store
from . import bp
from .pay_context import base_url, links, settings


@bp.route("/r/<code>")
def receipt(code: str) -> ResponseReturnValue:
    session_uid = links().open_receipt(code)
    found = None
    if session_uid is not None:
        found = stay_receipt(db(), session_uid, links=links(), default_tz=settings().timezone, base_url=base_url(), live=store())
    if found is None:
        raise NotFound()
    page = render_template("public/receipt.html", receipt=found)
    return page, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
