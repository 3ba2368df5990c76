"""`parking generate --lots N --days D [--seed S] [--last DATE]`: fill the instance's database with a
generated span of stays and money (`parking.generator`), with a progress bar, and print what was written.

It refuses a database that already holds generated lots. `--last` is the last day generated (default:
yesterday in `PARKING_TIMEZONE`); the span is the `--days` days up to it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import click

from parking.commands import migrated_settings, open_database
from parking.commands.reports import parse_day

__all__ = ["generate_command"]


@click.command("generate")
@click.option("--lots", type=click.IntRange(1, 999), default=50, show_default=True, help="How many lots to generate.")
@click.option("--days", type=click.IntRange(1, 3660), default=365, show_default=True, help="How many days of history.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed: the same seed and size give the same data.")
@click.option("--last", "last_text", metavar="DATE", help="Last day generated, YYYY-MM-DD (default: yesterday).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the progress bar and table.")
def generate_command(lots: int, days: int, seed: int, last_text: str | None, as_json: bool) -> None:
    """Generate lots with a span of realistic stays and payments (for reports and benchmarks). 生成测试数据。"""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.table import Table

    from parking.generator import GenerateError, ensure_empty, generate

    settings = migrated_settings()
    last = parse_day(last_text, "--last") if last_text else (datetime.now(timezone.utc).astimezone(settings.tz).date() - timedelta(days=1))
    engine, _ = open_database(settings)
    try:
        ensure_empty(engine)
        if as_json:
            result = generate(engine, lots=lots, days=days, seed=seed, last=last, tz=settings.timezone)
        else:
            columns = (TextColumn("[bold]生成 generating"), BarColumn(), MofNCompleteColumn(), TextColumn("days"),
                       TextColumn("{task.fields[stays]:,} stays, {task.fields[payments]:,} payments"), TimeElapsedColumn(), TimeRemainingColumn())
            with Progress(*columns, console=Console(stderr=True)) as bar:
                task = bar.add_task("days", total=days, stays=0, payments=0)
                result = generate(engine, lots=lots, days=days, seed=seed, last=last, tz=settings.timezone,
                                  progress=lambda done, _total, rows: bar.update(task, completed=done, stays=rows["parking_session"],
                                                                                 payments=rows["payment"]))
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps({"lots": result.lots, "from": result.first.isoformat(), "to": result.last.isoformat(), "seed": seed,
                               "rows": result.rows, "seconds": round(result.seconds, 2), "summed_days": result.summed_days,
                               "sum_seconds": round(result.sum_seconds, 2)}))
        return
    Console().print(f"生成 Generated: {result.lots} lots, {result.first} – {result.last}, in {result.seconds:.1f} s")
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in result.rows.items():
        table.add_row(name, f"{count:,}")
    Console().print(table)
    if result.summed_days:
        click.echo(f"revenue of {result.summed_days:,} lot-days summed for the reports in {result.sum_seconds:.1f} s")
