"""`parking operator create|list|set|disable|enable|reset-password`: accounts from the command line, so a
fresh install gets its first administrator without SQL and without the demo.

A password is asked for twice at a terminal, or read as one line from standard input when that is not
a terminal (or with ``--password-stdin``), so it never appears in the shell's history or the process
list; ``--generate`` makes a temporary one and prints it once. Either way the account must choose its
own password at its next sign-in. The rules and the audit rows are ``parking.services.operators``;
this module parses and prints. Times are shown in ``PARKING_TIMEZONE``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import click

__all__ = ["operator"]

ROLES = ("admin", "manager", "attendant", "auditor")


@contextmanager
def _session() -> Iterator[tuple[Any, Any]]:  # (sqlalchemy Session, Settings)
    from parking import db as dbmod
    from parking.cli import _migrated_settings

    settings = _migrated_settings()
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as db:
            yield db, settings
    finally:
        engine.dispose()


@contextmanager
def _refused() -> Iterator[None]:
    """An ``AccountError`` from the service is the command's one-line error."""
    from parking.services.operators import AccountError

    try:
        yield
    except AccountError as error:
        raise click.ClickException(str(error)) from None


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password(username: str, from_stdin: bool) -> str:
    from parking.passwords import PasswordPolicyError, check_policy

    if from_stdin or not _stdin_is_terminal():
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise click.ClickException("no password on standard input: give it as one line, or use --generate")
        return password

    def checked(value: str) -> str:
        try:
            check_policy(value, username)
        except PasswordPolicyError as error:
            raise click.UsageError(str(error)) from None
        return value

    return str(click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password", value_proc=checked))


def _sites_text(sites: tuple[str, ...] | list[str]) -> str:
    return ", ".join(sites) if sites else "all sites"


def _local(moment: datetime | None, tz: Any) -> str:
    if moment is None:
        return "-"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.group()
def operator() -> None:
    """Operator accounts: create, list, change, disable, enable, reset a password."""


@operator.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin, manager, attendant or auditor.")
@click.option("--site", "sites", multiple=True, metavar="CODE", help="Bind the account to this site (repeat for several); none: every site.")
@click.option("--display-name", default="", help="Name shown in the console (default: the user name).")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line from standard input.")
@click.option("--generate", is_flag=True, help="Generate a temporary password and print it once.")
def create(username: str, role: str, sites: tuple[str, ...], display_name: str, password_stdin: bool, generate: bool) -> None:
    """Create the account USERNAME; it must change its password at first sign-in."""
    from parking.services.operators import check_new_account, create_operator

    if generate and password_stdin:
        raise click.UsageError("--generate and --password-stdin exclude each other")
    with _session() as (db, _settings), _refused():
        # Checked before asking for a password, so a typo in the name or a site is not found after typing it twice.
        check_new_account(db, username, role, display_name=display_name, sites=sites)
        password = None if generate else _read_password(username.strip(), password_stdin)
        issued = create_operator(db, username, role, password=password, display_name=display_name, sites=sites, actor_id=None, now=_now())
    shown = issued.operator
    click.echo(f"created operator {shown.username!r} ({shown.role}, {_sites_text(shown.sites)}); the password must be changed at first sign-in")
    if issued.temporary_password:
        click.echo(f"temporary password (shown once): {issued.temporary_password}")


@operator.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List every account with its role, sites, state and last sign-in."""
    from parking.services.operators import list_operators

    with _session() as (db, settings):
        rows = list_operators(db)
        tz = settings.tz
    if as_json:
        click.echo(json.dumps([{
            "username": r.username, "display_name": r.display_name, "role": r.role, "sites": list(r.sites), "active": r.active,
            "must_change_password": r.must_change_password,
            "last_login_at": r.last_login_at.replace(tzinfo=r.last_login_at.tzinfo or timezone.utc).astimezone(tz).isoformat() if r.last_login_at else None,
        } for r in rows], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"操作员 Operators ({len(rows)})")
    for column in ("username", "name", "role", "sites", "active", "must change password", f"last sign-in ({settings.timezone})"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.username, r.display_name, r.role, _sites_text(r.sites), "yes" if r.active else "no",
                      "yes" if r.must_change_password else "no", _local(r.last_login_at, tz))
    Console(width=max(Console().width, 120)).print(table)


@operator.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), help="New role.")
@click.option("--site", "sites", multiple=True, metavar="CODE", help="Bind to exactly these sites (repeat for several).")
@click.option("--all-sites", is_flag=True, help="Remove every site binding: the account sees every site.")
@click.option("--display-name", default=None, help="New display name.")
def set_command(username: str, role: str | None, sites: tuple[str, ...], all_sites: bool, display_name: str | None) -> None:
    """Change the role, site bindings or display name of USERNAME."""
    from parking.services.operators import find, update_operator

    if sites and all_sites:
        raise click.UsageError("--site and --all-sites exclude each other")
    if role is None and not sites and not all_sites and display_name is None:
        raise click.UsageError("nothing to change: give --role, --site, --all-sites or --display-name")
    with _session() as (db, _settings), _refused():
        target = find(db, username=username)
        shown = update_operator(db, target.id, role=role, sites=() if all_sites else (sites or None), display_name=display_name,
                                actor_id=None, now=_now())
    click.echo(f"operator {shown.username!r}: {shown.role}, {_sites_text(shown.sites)}, shown as {shown.display_name!r}")


def _set_active(username: str, active: bool) -> None:
    from parking.services.operators import find, set_active

    with _session() as (db, _settings), _refused():
        target = find(db, username=username)
        if target.active == active:
            click.echo(f"operator {target.username!r} is already {'enabled' if active else 'disabled'}")
            return
        shown = set_active(db, target.id, active, actor_id=None, now=_now())
    click.echo(f"enabled operator {shown.username!r}" if active else f"disabled operator {shown.username!r}; every session of it has ended")


@operator.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable USERNAME: it can no longer sign in, and its open sessions end."""
    _set_active(username, False)


@operator.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable USERNAME again."""
    _set_active(username, True)


@operator.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the temporary password as one line from standard input.")
@click.option("--generate", is_flag=True, help="Generate a temporary password and print it once.")
def reset_password_command(username: str, password_stdin: bool, generate: bool) -> None:
    """Give USERNAME a temporary password, to be changed at its next sign-in; its sessions end."""
    from parking.services.operators import find, reset_password

    if generate and password_stdin:
        raise click.UsageError("--generate and --password-stdin exclude each other")
    with _session() as (db, _settings), _refused():
        target = find(db, username=username)
        password = None if generate else _read_password(target.username, password_stdin)
        issued = reset_password(db, target.id, password=password, actor_id=None, now=_now())
    click.echo(f"password of {issued.operator.username!r} reset; it must be changed at the next sign-in")
    if issued.temporary_password:
        click.echo(f"temporary password (shown once): {issued.temporary_password}")
