"""`parking fee`: quote a stay under a tariff document from the command line, as a table or as JSON.

The command is registered into the main `parking` group by `parking.cli`; it is a plain click
command so it can also be run and tested on its own. It reads a file and needs no instance: the
quote is the pure `parking.tariffs` engine's.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from parking.tariffs.describe import describe
from parking.tariffs.document import VEHICLE_CLASSES
from parking.tariffs.engine import quote
from parking.tariffs.errors import TariffError
from parking.tariffs.schema import load_tariff
from parking.tariffs.stay import QuoteContext, Stay, fen_to_yuan

__all__ = ["fee", "vehicle_from_plate"]


def vehicle_from_plate(raw: str) -> tuple[str, frozenset[str]]:
    """(vehicle class, benefit kinds) from a plate text: large plates are `large`, green plates
    bring the new-energy benefit. A read that is not a plate gives a small vehicle with no benefit."""
    from parking.plates import Plate, parse

    plate = parse(raw)
    if not isinstance(plate, Plate):
        return "small", frozenset()
    benefits = frozenset({"new_energy"}) if plate.is_new_energy else frozenset()
    return ("large" if plate.is_large else "small"), benefits


def _moment(text: str, tz: ZoneInfo, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date and time, e.g. 2024-05-06T09:00", param_hint=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@click.command("fee")
@click.option("--tariff", "tariff_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tariff document (JSON). 收费标准文件")
@click.option("--entry", required=True, help="Entry time, ISO 8601; without an offset, the tariff's time zone. 入场时间")
@click.option("--exit", "exit_", required=True, help="Exit time, ISO 8601. 出场时间")
@click.option("--plate", default=None, help="Plate, e.g. 粤B12345; sets the class and new-energy benefit. 车牌")
@click.option("--kind", type=click.Choice(VEHICLE_CLASSES), default=None, help="Vehicle class (overrides the plate). 车型")
@click.option("--benefit", "benefits", multiple=True, type=click.Choice(["new_energy", "disabled_driver"]),
              help="A benefit the vehicle may claim; repeat for more. 优惠")
@click.option("--json", "as_json", is_flag=True, help="Print the quote as JSON.")
@click.option("--describe", "show_text", is_flag=True, help="Also print the published text of the tariff.")
def fee(tariff_path: Path, entry: str, exit_: str, plate: str | None, kind: str | None,
        benefits: tuple[str, ...], as_json: bool, show_text: bool) -> None:
    """Print the fee for a stay under a tariff. 计算停车费。"""
    try:
        document = json.loads(tariff_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read tariff {tariff_path}: {error}") from None
    try:
        tariff = load_tariff(document)
    except TariffError as error:
        raise click.ClickException(f"tariff {tariff_path}: {error}") from None
    tz = ZoneInfo(tariff.time_zone)
    vehicle_class, claimed = ("small", frozenset())
    if plate:
        from parking.plates import PlateError

        try:
            vehicle_class, claimed = vehicle_from_plate(plate)
        except PlateError as error:
            raise click.BadParameter(str(error), param_hint="--plate") from None
    if kind:
        vehicle_class = kind
    stay = Stay(_moment(entry, tz, "--entry"), _moment(exit_, tz, "--exit"), vehicle_class,
                claimed | frozenset(benefits), plate or "")
    try:
        result = quote(tariff, stay, QuoteContext(tz=tz))
    except TariffError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    _print_table(tariff, stay, result, describe(tariff) if show_text else None)


def _print_table(tariff, stay: Stay, result, text: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    title = f"{tariff.name.zh} · {stay.plate or stay.vehicle_class}"
    table = Table(title=title, show_lines=False)
    for heading, justify in (("时段 Period", "left"), ("费率 Rate", "left"), ("单位 Units", "right"),
                             ("金额 Amount", "right"), ("规则 Rule", "left")):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for line in result.lines:
        period = f"{line.start:%m-%d %H:%M} – {line.end:%m-%d %H:%M}"
        table.add_row(period, line.rate, str(line.units or ""), fen_to_yuan(line.amount_fen), line.rule)
    table.add_row("", "", "", f"[bold]{fen_to_yuan(result.total_fen)}[/bold]", "[bold]合计（元） Total (yuan)[/bold]")
    console.print(table)
    if result.needs_staff:
        console.print("需要工作人员处理 — staff must decide")
    if text:
        console.print(text)
