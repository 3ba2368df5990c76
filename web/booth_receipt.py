"""The printed receipt (小票) of one booth payment: the stay's receipt value
(``parking.services.receipts.stay_receipt``, the one the phone's e-receipt page renders too) with what
the booth adds: the payment printed (its method, amount, the cash given and the change), the attendant
and the shift, and a QR leading to the e-receipt (``/r/<code>``, at ``PARKING_PUBLIC_URL`` when set).

Printed right after the car left, the stay may not have reached SQL yet (the worker records it within
seconds): the entry is then the live session's, or the start of the quote's first line (a quote's
lines begin at the entry it priced), and the exit is the moment the payment's quote priced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from parking.models import Lot, Operator, Payment, Shift
from parking.services.receipts import Receipt, ReceiptDiscount, ReceiptLine, stay_receipt

from .context import db, store
from .held_cars import fee_lines
from .money_words import method_words
from .public.pay_context import base_url, links, settings
from .shift_views import lot_zone


@dataclass(frozen=True)
class BoothReceipt:
    payment: Payment
    stay: Receipt | None
    lot_name: str
    tz: ZoneInfo
    plate: str
    entry_at: datetime | None
    exit_at: datetime | None
    exited: bool  # exit_at is the recorded exit; else the moment the fee was priced
    duration_minutes: int | None
    lines: tuple[ReceiptLine, ...]
    discounts: tuple[ReceiptDiscount, ...]
    method_words: str
    given_fen: int | None
    change_fen: int | None
    operator_name: str
    shift_uid: str
    link: str  # the e-receipt page; "" without a stay


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def booth_receipt(payment: Payment) -> BoothReceipt:
    stay = stay_receipt(db(), payment.session_uid or "", links=links(), default_tz=settings().timezone, base_url=base_url(),
                        live=store())
    tz = stay.tz if stay is not None else lot_zone(db().get(Lot, payment.lot_id))
    if stay is not None and stay.lines:
        lines = stay.lines
    else:
        lines = tuple(ReceiptLine(rule=f.rule, start=f.start, end=f.end, amount_fen=f.amount_fen) for f in fee_lines(payment.quote, tz))
    entry = stay.entry_at if stay is not None else None
    if entry is None and lines:
        entry = lines[0].start
    exited = stay is not None and stay.exit_at is not None
    leaving = stay.exit_at if stay is not None and stay.exit_at is not None else (payment.quote_at or payment.paid_at)
    operator = db().get(Operator, payment.operator_id) if payment.operator_id is not None else None
    shift = db().get(Shift, payment.shift_id) if payment.shift_id is not None else None
    lot_name = stay.lot_name if stay is not None else getattr(db().get(Lot, payment.lot_id), "name", "")
    return BoothReceipt(
        payment=payment, stay=stay, lot_name=lot_name, tz=tz, plate=payment.plate,
        entry_at=entry.astimezone(tz) if entry else None, exit_at=leaving.astimezone(tz) if leaving else None, exited=exited,
        duration_minutes=_minute(leaving) - _minute(entry) if entry and leaving else None,
        lines=lines, discounts=stay.discounts if stay is not None else (), method_words=method_words(payment.method.value),
        given_fen=payment.cash_given_fen,
        change_fen=payment.cash_given_fen - payment.amount_fen if payment.cash_given_fen is not None else None,
        operator_name=operator.display_name if operator else "", shift_uid=shift.uid if shift else "",
        link=stay.link if stay is not None else "",
    )
