"""One clear line, never a traceback, for what goes wrong around a command rather than in it: a database
URL that does not parse, names no known database or reaches no server, a database driver not
installed, Redis unreachable or the bundled redis-server failing to start, a port already taken.

``describe`` turns such an exception into the line to print (None for anything else, which then
propagates as the bug it is); the ``parking`` group applies it to every command (``parking.cli``).
"""

from __future__ import annotations

import errno
import os

DATABASE_EXAMPLES = "e.g. sqlite:////srv/parking/parking.sqlite or postgresql+psycopg://user@host/db"
_LISTEN_ERRORS = {errno.EADDRINUSE: "the address is already in use (is another parking process or program on that port?)",
                  errno.EADDRNOTAVAIL: "no network interface of this machine has that address",
                  errno.EACCES: "permission denied (ports below 1024 need privileges)"}


def _database_url() -> str:
    """The configured database URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    url = os.environ.get("PARKING_DATABASE_URL") or "the default SQLite file"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  (an unparsable URL is shown as it is: it holds no parsable password)
        return url


def _redis_url() -> str:
    """The configured Redis URL with any password hidden, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("PARKING_REDIS_URL")
    if not url:
        return "the bundled redis-server"
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:
        return "PARKING_REDIS_URL"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def listen_error(exc: OSError, where: str, setting: str) -> str | None:
    """The line for a server socket that could not be bound at ``where`` (HOST:PORT) named by ``setting``."""
    reason = _LISTEN_ERRORS.get(exc.errno or 0)
    if reason is None:
        return None
    return f"cannot listen on {where} ({setting}): {reason}"


def describe(exc: BaseException) -> str | None:
    """The one line to print for ``exc``, or None when it is not a failure of the surroundings."""
    import redis
    from sqlalchemy import exc as sa

    from ..embedded_redis import EmbeddedRedisError

    if isinstance(exc, sa.NoSuchModuleError):
        return f"PARKING_DATABASE_URL={_database_url()!r}: not a kind of database this system knows ({DATABASE_EXAMPLES})"
    if isinstance(exc, sa.ArgumentError) and "URL" in str(exc):
        return f"PARKING_DATABASE_URL={_database_url()!r}: not a database URL ({DATABASE_EXAMPLES})"
    if isinstance(exc, ModuleNotFoundError) and exc.name in {"psycopg", "psycopg2", "pymysql"}:
        return f"PARKING_DATABASE_URL={_database_url()!r} needs the driver {exc.name!r}: install it with pip install 'parking[postgres]'"
    if isinstance(exc, (sa.OperationalError, sa.InterfaceError)):
        return f"the database {_database_url()} cannot be used: {_first_line(exc)}"
    if isinstance(exc, EmbeddedRedisError):
        return f"the bundled redis-server could not be used: {_first_line(exc)}"
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return f"Redis ({_redis_url()}) is unreachable: {_first_line(exc)}; start it or correct PARKING_REDIS_URL"
    if isinstance(exc, OSError) and exc.errno in _LISTEN_ERRORS:
        return f"cannot listen: {_LISTEN_ERRORS[exc.errno or 0]} ({_first_line(exc)})"
    return None
