"""`parking site export|import`: a whole site as one YAML file (``parking.services.site_export`` and
``site_file``), e.g. to set a village up from a file, copy it to a new server or keep it under version control.

The group is registered into the main `parking` group by `parking.cli`; the services, settings and
database layer are imported only when a command runs.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from parking.commands import migrated_settings

__all__ = ["site"]


@click.group("site")
def site() -> None:
    """Export and import a whole site as one YAML file (站点配置文件)."""


@site.command("export")
@click.option("--site", "site_code", default=None, help="Only this site (its code); default: every site. 站点")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write to this file (default: standard output). 输出文件")
def export(site_code: str | None, output: Path | None) -> None:
    """Write the site's lots, zones, pools, lanes, devices, tariffs, pass products, passes, lists and
    operators (without secrets) as one YAML document. 导出站点配置。"""
    from sqlalchemy.exc import OperationalError

    from parking import db as dbmod
    from parking.services.site_export import SiteExportError, dump, export_document

    settings = migrated_settings()
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as db:
            text = dump(export_document(db, site_code=site_code, default_tz=settings.timezone))
    except SiteExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--site") from None
    except OperationalError as exc:
        raise click.ClickException(f"the database cannot be read: {exc.orig}") from None
    finally:
        engine.dispose()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"site file written to {output}", err=True)


@site.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only show what would change; write nothing. 只显示将要做的更改")
def import_(file: Path, dry_run: bool) -> None:
    """Apply a site file: create, update and delete what differs, all or nothing, and print one line per
    kind. Importing the same file again changes nothing. 导入站点配置。"""
    from sqlalchemy.exc import OperationalError

    from parking.embedded_redis import EmbeddedRedisError
    from parking.runtime import REDIS_UNAVAILABLE, Runtime
    from parking.services.site_file import SiteFileError, import_site, load

    settings = migrated_settings()
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        document = load(text)
        with Runtime.open(settings) as runtime, runtime.sessions() as db:
            report = import_site(db, runtime.store, document, now=datetime.now(timezone.utc), operator_id=None, dry_run=dry_run,
                                 default_tz=settings.timezone)
    except SiteFileError as exc:
        raise click.ClickException(f"{file}: {exc}; nothing was written") from None
    except EmbeddedRedisError as exc:
        raise click.ClickException(str(exc)) from None
    except REDIS_UNAVAILABLE as exc:
        raise click.ClickException(f"Redis is unreachable ({exc}); nothing was written: run it again when Redis answers") from None
    except OperationalError as exc:
        raise click.ClickException(f"the database cannot be written: {exc.orig}; nothing was written") from None
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written" if report.changed else "dry run: nothing would change")
    else:
        click.echo("imported" if report.changed else "nothing changed")
