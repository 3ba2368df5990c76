"""`parking token create|list|revoke`: integration tokens for the JSON API, from the command line.

The group is registered into the main `parking` group by `parking.cli`; the work is done by
`parking.services.tokens` (which audits it). `create` prints the token once: it is stored only as its
SHA-256, so it cannot be shown again. Times are printed in `PARKING_TIMEZONE`.

The clock is the wall clock, unless the command is invoked with ``obj={"clock": callable}`` (click's
context object), which the tests use to issue, expire and revoke at fixed moments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone, tzinfo
from typing import Any

import click

from parking.commands import migrated_settings, open_database

from parking.services.tokens import MAX_EXPIRES_DAYS, NAME_MAX_CHARS, SCOPES

__all__ = ["token"]

OPTION_OF_FIELD = {"name": "--name", "scopes": "--scope", "expires_days": "--expires-days"}


def _now() -> datetime:
    obj = click.get_current_context().find_root().obj
    clock: Callable[[], datetime] | None = obj.get("clock") if isinstance(obj, dict) else None
    return clock() if clock is not None else datetime.now(timezone.utc)


def _when(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment is not None else None


def _shown(row: Any, now: datetime, tz: tzinfo) -> dict[str, Any]:
    from parking.services.tokens import state

    return {
        "id": row.id, "name": row.name, "prefix": row.prefix, "scopes": list(row.scopes), "state": state(row, now),
        "created_at": _when(row.created_at, tz), "expires_at": _when(row.expires_at, tz),
        "revoked_at": _when(row.revoked_at, tz), "last_used_at": _when(row.last_used_at, tz),
    }


@click.group("token")
def token() -> None:
    """Integration tokens for the JSON API (Authorization: Bearer). 接口令牌。"""


@token.command("create")
@click.option("--name", required=True, help=f"What the token is for, e.g. the integration's name (at most {NAME_MAX_CHARS} characters).")
@click.option("--scope", "scopes", required=True, multiple=True, type=click.Choice(list(SCOPES)),
              help="A scope it grants; repeat for several. admin grants every scope.")
@click.option("--expires-days", type=click.IntRange(1, MAX_EXPIRES_DAYS), default=None,
              help="Valid for this many days (default: until revoked).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the token) instead of text.")
def create(name: str, scopes: tuple[str, ...], expires_days: int | None, as_json: bool) -> None:
    """Issue a token and print it, once: only its hash is kept. 创建令牌(仅显示一次)。"""
    from parking.services.tokens import TokenError, issue_token

    settings = migrated_settings()
    now = _now()
    engine, sessions = open_database(settings)
    try:
        with sessions() as db:
            try:
                issued = issue_token(db, name=name, scopes=scopes, now=now, expires_days=expires_days)
            except TokenError as error:
                raise click.BadParameter(error.message, param_hint=OPTION_OF_FIELD.get(error.field, error.field)) from None
            shown = _shown(issued.row, now, settings.tz)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps({**shown, "token": issued.secret}, ensure_ascii=False, indent=2))
        return
    expiry = f"expires {shown['expires_at']}" if shown["expires_at"] else "never expires"
    click.echo(f"token {shown['id']} {shown['prefix']} ({shown['name']}): {', '.join(shown['scopes'])}; {expiry}")
    click.echo(issued.secret)
    click.echo("Store it now: it is shown only this once. Send it as 'Authorization: Bearer <token>'.", err=True)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List every token with its scopes and state; never the tokens themselves. 令牌列表。"""
    from parking.services.tokens import list_tokens

    settings = migrated_settings()
    now = _now()
    engine, sessions = open_database(settings)
    try:
        with sessions() as db:
            rows = [_shown(row, now, settings.tz) for row in list_tokens(db)]
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="接口令牌 API tokens")
    for column in ("id", "prefix", "name", "scopes", "state", "expires", "last used"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["prefix"], row["name"], ", ".join(row["scopes"]), row["state"],
                      row["expires_at"] or "never", row["last_used_at"] or "-")
    Console().print(table)


@token.command("revoke")
@click.argument("ref", metavar="ID|PREFIX")
def revoke(ref: str) -> None:
    """Revoke a token by its id or its prefix (pk_…): it opens nothing from now on. 吊销令牌。"""
    from parking.services.tokens import TokenError, find_token, revoke_token

    settings = migrated_settings()
    now = _now()
    engine, sessions = open_database(settings)
    try:
        with sessions() as db:
            try:
                row = find_token(db, ref)
            except TokenError as error:
                raise click.BadParameter(error.message, param_hint="ID|PREFIX") from None
            if revoke_token(db, row, now=now):
                click.echo(f"revoked token {row.id} {row.prefix} ({row.name}) at {_when(now, settings.tz)}")
            else:
                click.echo(f"token {row.id} {row.prefix} ({row.name}) was already revoked at {_when(row.revoked_at, settings.tz)}")
    finally:
        engine.dispose()
