"""Audit rows: who did what, on what, from where and when, for everything operators do.

``record`` adds the row to the caller's session; the caller commits it with the change it describes, so
a change and its audit row are stored together or not at all. Where the action came from (the remote
address of the console or API request, empty for the CLI) is set once per request by the web layer with
``origin`` (or ``set_origin``/``reset_origin``), so no caller has to pass it along. In the same way, an
API request made with an integration token sets ``acting_token``: every row recorded while it runs names
the token (``detail["token"]``: its id, name and prefix, never the token), with no operator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEvent

ACTION_MAX_CHARS = 64
TARGET_MAX_CHARS = 100
ORIGIN_MAX_CHARS = 64

_origin: ContextVar[str] = ContextVar("parking.audit.origin", default="")
_token: ContextVar[dict[str, Any] | None] = ContextVar("parking.audit.token", default=None)


def _text(value: str, limit: int) -> str:
    """At most ``limit`` characters that can be stored as UTF-8 (lone surrogates replaced by U+FFFD)."""
    value = value[:limit]
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if not value.isascii() else value


def set_origin(remote_addr: str | None) -> Token[str]:
    """Where the actions recorded from now on in this context come from; undo with ``reset_origin``."""
    return _origin.set(_text(remote_addr or "", ORIGIN_MAX_CHARS))


def reset_origin(token: Token[str]) -> None:
    _origin.reset(token)


def set_acting_token(token_id: int, name: str, prefix: str) -> Token[dict[str, Any] | None]:
    """The integration token the actions recorded from now on in this context are made with; undo with
    ``reset_acting_token``."""
    return _token.set({"id": token_id, "name": _text(name, TARGET_MAX_CHARS), "prefix": prefix})


def reset_acting_token(token: Token[dict[str, Any] | None]) -> None:
    _token.reset(token)


@contextmanager
def origin(remote_addr: str | None) -> Iterator[None]:
    token = set_origin(remote_addr)
    try:
        yield
    finally:
        reset_origin(token)


def record(db: Session, action: str, *, operator_id: int | None, target: str = "", at: datetime | None = None,
           **detail: Any) -> AuditEvent:
    """Add an audit row to ``db`` (``at`` defaults to the wall clock, the model's default); the caller commits it."""
    acting_token = _token.get()
    if acting_token is not None:
        detail = {**detail, "token": acting_token}
    event = AuditEvent(
        operator_id=operator_id,
        action=_text(action, ACTION_MAX_CHARS),
        target=_text(target, TARGET_MAX_CHARS),
        detail=detail,
        remote_addr=_origin.get(),
    )
    if at is not None:
        event.at = at
    db.add(event)
    return event
