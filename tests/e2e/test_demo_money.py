"""``parking demo`` takes money like a real car park: a short accelerated run pays by WeChat Pay and Alipay
(ahead from inside, and at the exit QR) through the simulated platforms' notifications, in cash at the
attendant's shift, and leaves some unpaid; its printed summary is what the ledger holds, and everything
it started has stopped when it returns."""

from __future__ import annotations

import re
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from parking import db as dbmod
from parking.cli import main
from parking.models import Arrears, Payment, PaymentStatus, Shift
from parking.tariffs.stay import fen_to_yuan

pytestmark = [pytest.mark.redis, pytest.mark.database, pytest.mark.slow]

RUN = ["demo", "--seconds", "10", "--interval", "0.05", "--speed", "3600", "--seed", "2026",
       "--shares", "ahead=1,exit_qr=1,cash=1,unpaid=0.5,free=0.5,wechat=0.5"]


@pytest.fixture(autouse=True)
def _no_lasting_log_filters() -> Iterator[None]:
    """``parking demo`` configures logging (the plate filter on every handler): undo it afterwards."""
    yield
    from parking.logs import PlateFilter, _all_handlers

    for handler in _all_handlers():
        for f in [f for f in handler.filters if isinstance(f, PlateFilter)]:
            handler.removeFilter(f)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    """One accelerated demo on its own instance (bundled Redis, SQLite): its output, folder and database."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    database_url = f"sqlite:///{instance / 'parking.sqlite'}"
    env = {"PARKING_INSTANCE_PATH": str(instance), "PARKING_DATABASE_URL": database_url, "PARKING_REDIS_URL": "",
           "PARKING_WEB_BIND": "127.0.0.1:0", "PARKING_AGENT_BIND": "127.0.0.1:0", "PARKING_LOG_LEVEL": "WARNING",
           "PARKING_PUBLIC_URL": "", "PARKING_WECHATPAY_CONFIG": "", "PARKING_ALIPAY_CONFIG": ""}
    result = CliRunner().invoke(main, RUN, env=env)
    assert result.exit_code == 0, result.output
    return result.output, instance, database_url


def ledger(database_url: str):  # type: ignore[no-untyped-def]
    engine = dbmod.make_engine(database_url)
    return engine, dbmod.make_session_factory(engine)()


def printed_row(output: str, label: str) -> tuple[int, str]:
    """(count, yuan) of a row of the printed money table."""
    found = re.search(re.escape(label) + r"\s*│\s*(\d+)\s*│\s*([\d.]+)\s*│", output)
    assert found, f"{label!r} not in the summary:\n{output}"
    return int(found.group(1)), found.group(2)


def test_payments_of_every_method_and_scene_reach_the_ledger(demo_run):
    _, _, database_url = demo_run
    engine, db = ledger(database_url)
    try:
        paid = db.execute(select(Payment.method, Payment.scene).where(Payment.status == PaymentStatus.PAID)).all()
        arrears = db.scalar(select(func.count()).select_from(Arrears))
    finally:
        db.close()
        engine.dispose()
    assert {method.value for method, _ in paid} == {"cash", "wechat", "alipay"}
    assert {scene for method, scene in paid if method.value == "cash"} == {"booth"}
    assert {scene for method, scene in paid if method.value != "cash"} == {"prepay", "exit_qr"}
    assert arrears >= 1


def test_the_printed_summary_is_what_the_ledger_holds(demo_run):
    output, _, database_url = demo_run
    engine, db = ledger(database_url)
    try:
        totals = {method.value: (n, fen) for method, n, fen in db.execute(
            select(Payment.method, func.count(), func.sum(Payment.amount_fen)).where(Payment.status == PaymentStatus.PAID)
            .group_by(Payment.method))}
        arrears_n, arrears_fen = db.execute(select(func.count(), func.sum(Arrears.amount_fen))).one()
    finally:
        db.close()
        engine.dispose()
    for method, label in (("cash", "现金 Cash"), ("wechat", "微信支付 WeChat Pay"), ("alipay", "支付宝 Alipay")):
        n, fen = totals[method]
        assert printed_row(output, f"收入 Revenue · {label}") == (n, fen_to_yuan(fen))
    assert printed_row(output, "欠费 Arrears (left unpaid)") == (arrears_n, fen_to_yuan(arrears_fen))
    assert "免费放行 Free releases" in output


def test_the_booth_shift_is_closed_counted_and_confirmed(demo_run):
    output, _, database_url = demo_run
    engine, db = ledger(database_url)
    try:
        shift = db.scalar(select(Shift))
        cash = db.scalar(select(func.sum(Payment.amount_fen)).where(Payment.shift_id == shift.id, Payment.status == PaymentStatus.PAID))
    finally:
        db.close()
        engine.dispose()
    assert (shift.status.value, shift.opening_float_fen, shift.difference_fen) == ("confirmed", 20000, 0)
    assert shift.expected_cash_fen == shift.counted_cash_fen == 20000 + cash
    expected = fen_to_yuan(20000 + cash)
    assert f"应有现金 expected {expected} · 实点现金 counted {expected} · 差额 difference 0.00" in output


def test_the_start_says_how_to_pay_as_a_driver(demo_run):
    output, _, _ = demo_run
    web = re.search(r"控制台 Console:\s+(http://127\.0\.0\.1:\d+)/", output).group(1)
    assert re.search(rf"和谐里小区 东门出口 \(east-out\): {re.escape(web)}/pay/exit/east-out\?k=[a-z2-7]+\n", output)
    assert re.search(rf"科技园办公楼停车场 大门出口 \(gate-out\): {re.escape(web)}/pay/exit/gate-out\?k=[a-z2-7]+\n", output)
    for platform in ("微信支付 WeChat Pay", "支付宝 Alipay"):
        assert re.search(r"curl -X POST http://127\.0\.0\.1:\d+/_sim/pay -d '\{\"out_trade_no\": \"…\"\}'   # " + platform, output)


def test_every_server_it_started_is_stopped(demo_run):
    output, _, _ = demo_run
    addresses = re.findall(r"(?:控制台 Console|相机推送 Camera ingress|微信支付 WeChat Pay|支付宝 Alipay):\s+http://127\.0\.0\.1:(\d+)", output)
    assert len(addresses) == 4
    for port in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()


def test_the_merchant_files_are_private(demo_run):
    _, instance, _ = demo_run
    files = sorted(p.relative_to(instance / "payments").as_posix() for p in (instance / "payments").rglob("*") if p.is_file())
    assert {"wechatpay/wechatpay.toml", "wechatpay/apiclient_key.pem", "alipay/alipay.toml", "alipay/app_private_key.pem"} <= set(files)
    for path in (instance / "payments").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
