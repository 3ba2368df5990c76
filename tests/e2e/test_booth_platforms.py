"""At the booth, against the WeChat Pay platform's simulator, end to end: a car held at the exit for a
3-hour stay pays by WeChat Native (the QR shown on the booth screen, scanned and paid by the payer), the
platform's notification reaches the app, and the running agent opens the exit for that car; a manager
then refunds part of it in their shift, and the next day's bill reconciles with the ledger, refund included.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parking.agent.process import Agent
from parking.models import Operator, Payment, RefundStatus
from parking.occupancy import LotKeys
from parking.plates import parse
from parking.services import ledger, reconciliation, refunds, shifts
from simulators.camera import CometPoller

from .running_lanes import agent, camera, wait_until  # noqa: F401  (agent: the fixture)

from .test_payment_platforms import alipay, providers, served, wechat  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.redis, pytest.mark.database]


def operator(runtime, username: str) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(Operator.id).where(Operator.username == username))


def test_wechat_native_at_the_booth_opens_the_exit_then_a_refund_shows_on_the_shift_and_in_reconciliation(
        served, agent: Agent, wechat, providers, runtime, village, clock) -> None:  # type: ignore[no-untyped-def]
    _app, url = served
    lot = agent.lanes.lots()[village.community_lot_id]
    assert camera(agent, "VZ-HX-EAST-IN", clock).push_plate("粤B12345").open_gate
    clock.advance(hours=3)
    out = camera(agent, "VZ-HX-EAST-OUT", clock)
    assert out.push_plate("粤B12345").open_gate is False
    with CometPoller(out), runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, providers["wechat"], lot, parse("粤B12345"), at=clock(), scene="qr",
                                   via="booth", lane_id=village.lane("east-out").id, notify_url=f"{url}/pay/notify/wechat")
        assert (order.amount_fen, order.qr_payload.startswith("weixin://wxpay/bizpayurl?pr=")) == (1000, True)
        wechat.pay(code_url=order.qr_payload)  # the payer scans the booth screen's QR and pays
        assert wechat.wait_delivered(1)
        wait_until(lambda: any(r.open_gate for r in out.log.responses), "the exit opened")
    assert sum(r.open_gate for r in out.log.responses) == 1
    assert runtime.store.open_session(lot.id, "粤B12345") is None

    manager = operator(runtime, "manager")
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=manager, lot_id=lot.id, at=clock())
        refund = refunds.refund(db, runtime.store, providers, order.uid, amount_fen=300, reason="计费有误，退3元",
                                operator_id=manager, at=clock())
        assert (refund.status, refund.amount_fen, refund.shift_id) == (RefundStatus.REFUNDED, 300, shift.id)
        report = shifts.shift_report(db, shift, until=clock())
        assert (report["refunds_fen"], report["refund_total_fen"]) == ({"wechat": 300}, 300)
        assert db.scalar(select(Payment.refunded_fen).where(Payment.uid == order.uid)) == 300
    journaled = [f[b"kind"].decode() for _, f in runtime.redis.xrange(LotKeys(lot.id).events)]
    assert [k for k in journaled if k in {"order_placed", "paid", "exited", "refunded"}] == ["order_placed", "paid", "exited", "refunded"]

    day = clock().astimezone(lot.tz).date()
    clock.advance(days=1)
    with runtime.sessions() as db:
        checked = reconciliation.reconcile_day(db, providers["wechat"], day, now=clock())
        assert (checked.status.value, checked.differences) == ("clean", [])
        assert (checked.bill_payments, checked.bill_payment_fen, checked.bill_refunds, checked.bill_refund_fen) == (1, 1000, 1, 300)
        assert (checked.ledger_payments, checked.ledger_payment_fen, checked.ledger_refunds, checked.ledger_refund_fen) == (1, 1000, 1, 300)
