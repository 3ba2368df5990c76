"""`parking tariff publish|list`: versions of tariff documents in SQL, from the command line.

The group is registered into the main `parking` group by `parking.cli`. The SQL side lives in
`parking.services.tariffs`; it, the settings, the database layer and the models are imported only
when a command runs, not when the `parking` group is built.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from parking.commands import migrated_settings, open_database

__all__ = ["tariff"]


def _lot(db, code: str):  # -> parking.models.Lot
    from sqlalchemy import select

    from parking.models import Lot

    lot = db.scalar(select(Lot).where(Lot.code == code))
    if lot is None:
        known = ", ".join(db.scalars(select(Lot.code).order_by(Lot.code))) or "none"
        raise click.BadParameter(f"no lot {code!r} (lots: {known})", param_hint="--lot")
    return lot


def _moment(text: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date and time, e.g. 2024-06-01T00:00", param_hint="--valid-from") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@click.group("tariff")
def tariff() -> None:
    """Publish and list versions of tariff documents (收费标准版本)."""


@tariff.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lot", "lot_code", default=None, help="The lot it prices (its code); without it, every lot. 停车场")
@click.option("--valid-from", default=None,
              help="When it takes effect, ISO 8601; without an offset, PARKING_TIMEZONE. Default: now. 生效时间")
def publish(file: Path, lot_code: str | None, valid_from: str | None) -> None:
    """Store FILE (a tariff document, JSON) as the next version of its tariff. 发布收费标准。"""
    from parking import db as dbmod
    from parking.services.tariffs import publish_tariff
    from parking.tariffs.errors import TariffError

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read tariff {file}: {error}") from None
    settings = migrated_settings()
    now = datetime.now(timezone.utc)
    start = _moment(valid_from, settings.tz) if valid_from else now
    engine, sessions = open_database(settings)
    try:
        with dbmod.transaction(sessions) as db:
            lot = _lot(db, lot_code) if lot_code else None
            try:
                row = publish_tariff(db, lot_id=lot.id if lot else None, document=document, valid_from=start, now=now)
            except TariffError as error:
                raise click.ClickException(f"tariff {file}: {error}") from None
            where = f"lot {lot.code}" if lot else "every lot"
            click.echo(f"published {row.code} v{row.version} ({row.name}) for {where}, valid from {row.valid_from.astimezone(settings.tz).isoformat()}")
    finally:
        engine.dispose()


@tariff.command("list")
@click.option("--lot", "lot_code", default=None, help="Only the versions that may price this lot (its code). 停车场")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_versions(lot_code: str | None, as_json: bool) -> None:
    """List tariff versions, oldest first, marking the one in force for each lot. 收费标准版本列表。"""
    from sqlalchemy import or_, select

    from parking.models import Lot, Tariff as TariffRow
    from parking.services.tariffs import active_version

    settings = migrated_settings()
    now = datetime.now(timezone.utc)
    engine, sessions = open_database(settings)
    try:
        with sessions() as db:
            query = select(TariffRow).order_by(TariffRow.code, TariffRow.version)
            lots = list(db.scalars(select(Lot).order_by(Lot.id)))
            if lot_code:
                lot = _lot(db, lot_code)
                query = query.where(or_(TariffRow.lot_id == lot.id, TariffRow.lot_id.is_(None)))
                lots = [lot]
            in_force: dict[int, list[str]] = {}
            for lot in lots:
                active = active_version(db, lot.id, now)
                if active is not None:
                    in_force.setdefault(active.id, []).append(lot.code)
            codes = {lot.id: lot.code for lot in db.scalars(select(Lot))}
            rows: list[dict[str, Any]] = [
                {
                    "code": row.code, "version": row.version, "name": row.name,
                    "lot": codes.get(row.lot_id) if row.lot_id is not None else None,
                    "valid_from": row.valid_from.isoformat(), "created_at": row.created_at.isoformat(),
                    "in_force_for": in_force.get(row.id, []),
                }
                for row in db.scalars(query)
            ]
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="收费标准 Tariff versions")
    for column in ("code", "version", "name", "lot", "valid from", "in force for"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["code"], str(row["version"]), row["name"], row["lot"] or "*", row["valid_from"],
                      ", ".join(row["in_force_for"]) or "-")
    Console().print(table)
