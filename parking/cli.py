"""The ``parking`` command: one click group, one small command per noun, each with ``--help``."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import click

from .commands import migrated_settings
from .config import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _migrated_settings() -> Settings:
    """Settings of an instance whose database is at the current schema (else a clear command error)."""
    return migrated_settings()


def _logging(settings: Settings) -> None:
    from .logs import configure_logging

    configure_logging(settings)  # level and format, plates masked (PARKING_LOG_FULL_PLATES), long lines cut


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


class _ParkingGroup(click.Group):
    """Failures of the surroundings (database URL, Redis, a busy port) as one line, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from .commands.failures import describe

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001  (only what ``describe`` knows is turned into a line)
            line = describe(exc)
            if line is None:
                raise
            raise click.ClickException(line) from None


@click.group(cls=_ParkingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parking")
def main() -> None:
    """Smart parking for urban villages and old communities (城中村/老旧小区智慧停车)."""


# -- database ------------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Schema migrations of the SQL database (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from . import db as dbmod

    settings = _settings().ensure_instance()
    dbmod.upgrade(settings.database_url, revision)
    click.echo(f"database at revision {dbmod.current_revision(settings.database_url)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' removes every table)."""
    from . import db as dbmod

    settings = _settings().ensure_instance()
    dbmod.downgrade(settings.database_url, revision)
    click.echo(f"database at revision {dbmod.current_revision(settings.database_url) or 'base'}")


@db.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from . import db as dbmod

    click.echo(dbmod.current_revision(_settings().ensure_instance().database_url) or "base")


# -- processes -----------------------------------------------------------------------------------------
@main.command()
@click.option("--no-traffic", is_flag=True, help="Run without the traffic generator.")
@click.option("--seconds", type=click.FloatRange(min=0), help="Stop cleanly after N seconds and print a summary.")
@click.option("--interval", type=click.FloatRange(min=0.01), default=0.8, show_default=True, help="Seconds between simulated plate reads.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the traffic generator and of the drivers' payments.")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=300, show_default=True,
              help="How many times faster than the wall clock the demo's clock runs (stays long enough to cost something).")
@click.option("--shares", default="", metavar="WAY=N,…",
              help="How drivers who owe a fee settle it, as weights: ahead, exit_qr, cash, unpaid, free; and wechat, the share "
                   "of phone payments made with WeChat Pay (default ahead=0.35,exit_qr=0.35,cash=0.18,unpaid=0.06,free=0.06,wechat=0.6).")
def demo(no_traffic: bool, seconds: float | None, interval: float, seed: int, speed: float, shares: str) -> None:
    """Run web, agent, worker, simulated cameras, payment platforms and traffic on embedded defaults."""
    from rich.console import Console
    from rich.table import Table

    from .demo import run_demo
    from .demo.drivers import DriversError, PaymentShares
    from .demo.money import money_rows, shift_lines

    try:
        payment_shares = PaymentShares.parse(shares)
    except DriversError as exc:
        raise click.BadParameter(str(exc), param_hint="--shares") from None
    settings = _settings()
    _logging(settings)
    result = run_demo(settings, traffic=not no_traffic, seconds=seconds, interval=interval, seed=seed, speed=speed,
                      shares=payment_shares, echo=click.echo)
    console = Console()
    table = Table(title="停车场汇总 Summary")
    for column in ("lot", "in", "out", "refused", "present", "capacity"):
        table.add_column(column, justify="left" if column == "lot" else "right")
    for row in result.lots:
        table.add_row(*(str(row[c]) for c in ("lot", "in", "out", "refused", "present", "capacity")))
    console.print(table)
    money = Table(title="收费汇总 Money (from the ledger 账本)")
    for column in ("item", "count", "yuan 元"):
        money.add_column(column, justify="left" if column == "item" else "right")
    for row in money_rows(result.money):
        money.add_row(*row)
    console.print(money)
    for line in shift_lines(result.money.shift):
        click.echo(line)


@main.command()
@click.option("--agent-url", default=None, help="Camera ingress to push to (default: this instance's PARKING_AGENT_BIND).")
@click.option("--seconds", type=click.FloatRange(min=0), help="Stop after N seconds (default: until Ctrl-C).")
@click.option("--interval", type=click.FloatRange(min=0.01), default=0.8, show_default=True, help="Seconds between plate reads.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the traffic generator.")
@click.option("--render", "render_dir", type=click.Path(file_okay=False, path_type=Path), help="Write each lane's LED board as a PNG here at the end.")
def simulate(agent_url: str | None, seconds: float | None, interval: float, seed: int, render_dir: Path | None) -> None:
    """Drive the site's lanes with simulated VZ cameras and traffic, against a running agent."""
    import time
    from datetime import datetime, timezone

    from drivers.errors import DriverError
    from simulators.lanes import LaneTraffic

    from . import db as dbmod
    from .demo import known_plates, street_lanes

    settings = _migrated_settings().ensure_instance()
    _logging(settings)
    host, port = settings.agent_bind
    url = agent_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as db:
            lanes = street_lanes(db, settings.timezone, datetime.now(timezone.utc), url, settings.secret_key.encode())
            plates = known_plates(db)
    finally:
        engine.dispose()
    if not lanes:
        raise click.ClickException("no lane with a camera is configured: nothing to simulate")
    traffic = LaneTraffic(lanes, url, seed, plates)
    click.echo(f"simulating {len(lanes)} lanes against {url}")
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while deadline is None or time.monotonic() < deadline:
            try:
                traffic.step()
            except DriverError as exc:
                click.echo(f"push failed: {exc}", err=True)
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        traffic.close()
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(traffic.pushes.items())) or "no pushes")
    click.echo("gate passages: " + ", ".join(f"{code} {n}" for code, n in traffic.passages().items()))
    if render_dir is not None:
        render_dir.mkdir(parents=True, exist_ok=True)
        for code, board in traffic.boards.items():
            (render_dir / f"{code}.png").write_bytes(board.render_png())
        click.echo(f"LED boards rendered to {render_dir}")


@main.command()
def agent() -> None:
    """Run the camera ingress and lane controllers of this instance."""
    from .agent.process import Agent
    from .commands.failures import listen_error
    from .runtime import Runtime

    settings = _migrated_settings()
    _logging(settings)
    host, port = settings.agent_bind
    with Runtime.open(settings) as runtime:
        try:
            agent_process = Agent(runtime, host, port)  # binds the camera ingress
        except OSError as exc:
            raise click.ClickException(listen_error(exc, f"{host}:{port}", "PARKING_AGENT_BIND") or str(exc)) from None
        with agent_process as running:
            click.echo(f"camera ingress at {running.url}")
            _wait_for_signal()


@main.command()
@click.option("--once", is_flag=True, help="Record what is waiting, then exit.")
def worker(once: bool) -> None:
    """Persist the lots' event streams into SQL."""
    from .runtime import Runtime
    from .worker import Worker

    settings = _migrated_settings()
    _logging(settings)
    with Runtime.open(settings) as runtime:
        w = Worker(runtime)
        if once:
            click.echo(f"recorded {w.drain()} events")
            return
        w.start()
        _wait_for_signal()
        w.stop()


@main.command()
def serve() -> None:
    """Serve the console and API (threaded server; in production run gunicorn 'web:create_app()')."""
    import socket

    from werkzeug.serving import get_sockaddr, make_server, select_address_family

    from web import create_app

    from .commands.failures import listen_error  # noqa: I001

    settings = _migrated_settings()
    _logging(settings)
    host, port = settings.web_bind
    # Bound here rather than by werkzeug, which prints its own lines and exits when the port is taken.
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        raise click.ClickException(listen_error(exc, f"{host}:{port}", "PARKING_WEB_BIND") or str(exc)) from None
    with listener:
        server = make_server(host, port, create_app(settings), threaded=True, fd=listener.fileno())
    click.echo(f"console at http://{host}:{port}/")
    # SIGTERM (systemd, docker stop) ends the loop like Ctrl-C, so the runtime is closed at exit (atexit).
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# -- inspection ----------------------------------------------------------------------------------------
@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--agent-url", help="Base URL cameras reach the agent at (default: from PARKING_AGENT_BIND).")
def lanes(as_json: bool, agent_url: str | None) -> None:
    """List every lane with its lot, direction, camera serial and the camera's push and heartbeat URLs."""
    from datetime import datetime, timezone

    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from . import db as dbmod
    from .agent.ingress import camera_urls
    from .models import DeviceKind, Lane
    from .services.site import load_lanes, load_lots

    settings = _migrated_settings().ensure_instance()
    host, port = settings.agent_bind
    base = (agent_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}").rstrip("/")
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as session:
            refs = {ref.id: ref for ref in load_lanes(session, load_lots(session, settings.timezone, datetime.now(timezone.utc))).values()}
            rows: list[dict[str, Any]] = []
            for lane in session.scalars(select(Lane).options(selectinload(Lane.devices), selectinload(Lane.lot)).order_by(Lane.id)):
                camera = next((d for d in lane.devices if d.kind == DeviceKind.CAMERA), None)
                urls = camera_urls(refs[lane.id], base, settings.secret_key.encode()) if lane.id in refs else {}
                rows.append({
                    "id": lane.id, "code": lane.code, "name": lane.name, "lot_id": lane.lot_id, "lot": lane.lot.name,
                    "direction": lane.direction.value, "zone_id": lane.zone_id,
                    "camera_serial": camera.serial if camera else None, "enabled": lane.enabled,
                    "push_url": urls.get("push_url"), "heartbeat_url": urls.get("heartbeat_url"), "allowed_sources": urls.get("allow"),
                })
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="车道 Lanes")
    for column in ("id", "lot", "code", "name", "direction", "camera_serial"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("id", "lot", "code", "name", "direction", "camera_serial")))
    Console().print(table)


@main.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Only report the differences.")
def reconcile_command(dry_run: bool) -> None:
    """Compare live state in Redis with SQL and repair it, printing every correction."""
    from datetime import datetime, timezone

    from .embedded_redis import EmbeddedRedisError
    from .runtime import REDIS_UNAVAILABLE, Runtime
    from .services.reconcile import reconcile
    from .worker import Worker

    settings = _migrated_settings()
    _logging(settings)
    try:
        # Beside a running demo or agent this attaches to their bundled redis-server (waiting while its
        # owner restarts it) and leaves it running; it starts, and then stops, one only when none runs.
        with Runtime.open(settings) as runtime:
            click.echo(f"Redis: {runtime.describe_redis()}")
            recorded = Worker(runtime).drain()  # SQL first gets every event still in the streams
            corrections = reconcile(runtime.sessions, runtime.store, datetime.now(timezone.utc), apply=not dry_run)
    except EmbeddedRedisError as exc:
        raise click.ClickException(str(exc)) from None
    except REDIS_UNAVAILABLE as exc:
        raise click.ClickException(f"Redis is unreachable ({exc}); reconcile stopped: run it again when Redis answers") from None
    click.echo(f"recorded {recorded} pending events")
    for correction in corrections:
        click.echo(("would correct " if dry_run else "corrected ") + str(correction))
    click.echo(f"{len(corrections)} {'differences' if dry_run else 'corrections'}")


@main.command()
@click.option("--lot", "lot_code", help="Only this lot (its code).")
@click.option("--days", type=click.IntRange(min=0), help="Threshold in days (default: each lot's zombie_days).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def zombies(lot_code: str | None, days: int | None, as_json: bool) -> None:
    """List vehicles parked longer than the threshold (僵尸车), oldest first."""
    from datetime import datetime, timezone

    from . import db as dbmod
    from .services.zombies import find_zombies

    settings = _migrated_settings()
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as session:
            if lot_code is not None:
                from sqlalchemy import select

                from .models import Lot

                if session.scalar(select(Lot.id).where(Lot.code == lot_code)) is None:
                    known = ", ".join(session.scalars(select(Lot.code).order_by(Lot.code))) or "none"
                    raise click.BadParameter(f"no lot {lot_code!r} (lots: {known})", param_hint="--lot")
            found = find_zombies(session, datetime.now(timezone.utc), days=days, lot_code=lot_code, tz=settings.timezone)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([{"lot": z.lot, "plate": z.plate, "zone_id": z.zone_id, "entry_at": z.entry_at.isoformat(),
                                "days": z.days, "snapshot": z.snapshot, "session": z.session_uid} for z in found], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"僵尸车 Zombie vehicles ({len(found)})")
    for column in ("lot", "plate", "entry", "days", "snapshot"):
        table.add_column(column)
    for z in found:
        table.add_row(z.lot, z.plate, z.entry_at.strftime("%Y-%m-%d %H:%M"), str(z.days), z.snapshot or "-")
    Console().print(table)


from .commands.fee import fee  # noqa: E402  (commands with a module of their own, see parking/commands/)
from .commands.operators import operator  # noqa: E402
from .commands.site import site  # noqa: E402
from .commands.tariffs import tariff  # noqa: E402
from .commands.tokens import token  # noqa: E402
from .commands.bills import reconcile_bills  # noqa: E402
from .commands.generate import generate_command  # noqa: E402
from .commands.reports import report  # noqa: E402

main.add_command(fee)
main.add_command(tariff)
main.add_command(site)
main.add_command(token)
main.add_command(operator)
main.add_command(report)
main.add_command(reconcile_bills)
main.add_command(generate_command)
